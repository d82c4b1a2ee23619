"""SymPy's matrix expressions in and out of matdiff.

``from_sympy(e)`` reads a SymPy matrix expression (``MatrixSymbol``, ``Transpose``, ``MatMul``,
``MatAdd``, ``HadamardProduct``, ``HadamardPower``, ``Inverse``, ``MatPow``, ``Trace``,
``Determinant``, ``log(Determinant(X))``, ``Identity``, ``ZeroMatrix``, ``OneMatrix``,
``KroneckerProduct``, ``DiagMatrix``, ``DiagonalOf``, scalars and ``Symbol``s, and elementwise
functions written with ``applyfunc``) and returns a :class:`SympyExpression`: a ``str`` (the
expression in matdiff's language with a ``where`` clause holding every shape) that every helper
takes as it is, ``matdiff.gradient(from_sympy(e), "X")``, with the pieces as attributes.

``to_sympy(x)`` turns a :class:`matdiff.Result`, a matdiff expression (text or IR) or a
:class:`SympyExpression` into a SymPy matrix expression.

SymPy objects are data here: the translation walks their trees, it never evaluates text.
SymPy is imported when these functions are called, never by ``import matdiff``.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from . import ir
from .errors import UnsupportedError
from .ops import ELEMENTWISE
from .shapes import BUILTINS

__all__ = ["SympyBridgeError", "SympyExpression", "from_sympy", "to_sympy"]


class SympyBridgeError(UnsupportedError):
    """A SymPy node (or a matdiff node) that has no counterpart on the other side; the
    message names it."""




def _functions() -> dict[str, str]:
    """Elementwise functions both sides know, SymPy's name -> matdiff's (from the records)."""
    return {(r.sympy or r.name): r.name for r in ELEMENTWISE.values()
            if not callable(r.sympy)}


def _reserved() -> set[str]:
    """Names the language reads as functions or keywords: a variable cannot have them."""
    return BUILTINS | set(ELEMENTWISE) | {"where", "scalar", "mask", "symmetric"}


# Precedence of what an emitted text is, loosest first.
_ADD, _MUL, _NEG, _POW, _POSTFIX, _ATOM = range(6)


class SympyExpression(str):
    """A SymPy expression read into matdiff's language: the ``str`` is the expression with a
    ``where`` clause declaring every variable's kind and shape (so every helper takes it as
    it is); ``.expression`` is the expression alone, ``.declarations`` maps each variable to its
    kind (``"matrix(n, m)"``), ``.source`` is the SymPy expression and ``.namespace`` maps
    every name (variables and sizes) to its SymPy object, for :func:`to_sympy`."""

    expression: str
    declarations: dict[str, str]
    source: Any
    namespace: dict[str, Any]

    def __new__(cls, expression: str, declarations: dict[str, str], source: Any,
                namespace: dict[str, Any]) -> SympyExpression:
        where = ", ".join(f"{n}: {k}" for n, k in declarations.items())
        self = super().__new__(cls, f"{expression} where {where}" if where else expression)
        self.expression, self.declarations = expression, dict(declarations)
        self.source, self.namespace = source, dict(namespace)
        return self

    def gradient(self, wrt: str | list[str], **options: Any) -> Any:
        """``matdiff.gradient`` of this expression."""
        from .api import gradient

        return gradient(str(self), wrt, **options)

    def derivative(self, wrt: str | list[str], **options: Any) -> Any:
        from .api import derivative

        return derivative(str(self), wrt, **options)

    def jacobian(self, wrt: str | list[str], **options: Any) -> Any:
        from .api import jacobian

        return jacobian(str(self), wrt, **options)

    def hessian(self, wrt: str | list[str], **options: Any) -> Any:
        from .api import hessian

        return hessian(str(self), wrt, **options)

    def to_sympy(self, x: Any = None) -> Any:
        """``x`` (a result of this expression; by default the expression itself) in SymPy,
        with this expression's own symbols."""
        return to_sympy(self if x is None else x, namespace=self.namespace)


# ------------------------------------------------------------------------------ from SymPy


def from_sympy(expr: Any) -> SympyExpression:
    """A SymPy (matrix) expression in matdiff's language, with its shapes declared.

    >>> import sympy as sp, matdiff
    >>> n = sp.Symbol("n", integer=True, positive=True)
    >>> X, A = sp.MatrixSymbol("X", n, n), sp.MatrixSymbol("A", n, n)
    >>> e = matdiff.from_sympy(sp.Trace(A * X.T))
    >>> str(e)
    "tr(A*X') where A: matrix(n, n), X: matrix(n, n)"
    >>> e.gradient("X").text
    'A'
    """
    import sympy

    reader = _Reader(sympy)
    text, _ = reader.emit(sympy.sympify(expr))
    return SympyExpression(text, reader.declarations(), expr, reader.namespace)


class _Reader:
    """One translation: the emitted text and what it met (variables, sizes)."""

    def __init__(self, sympy: Any):
        from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

        self.sp = sympy
        self.applied = ElementwiseApplyFunction
        self.matrices: dict[str, tuple[Any, Any]] = {}  # name -> (rows, cols)
        self.scalars: dict[str, Any] = {}
        self.dims: dict[str, Any] = {}
        self.namespace: dict[str, Any] = {}

    # --- names and sizes

    def name(self, name: str, node: Any) -> str:
        if not name.isidentifier() or not name.isascii() or name.startswith("_"):
            raise SympyBridgeError(f"SymPy's {type(node).__name__} {name!r} has a name matdiff "
                                   "cannot use (an ASCII identifier not starting with '_')")
        if name in _reserved():
            raise SympyBridgeError(f"SymPy's {type(node).__name__} {name!r} has the name of a "
                                   "matdiff function or keyword; rename it")
        return name

    def dim(self, d: Any, node: Any) -> str:
        """A size as matdiff writes it: a positive integer, a name, or a product of those."""
        sp = self.sp
        if isinstance(d, sp.Integer | int):
            if int(d) < 1:
                raise SympyBridgeError(f"SymPy's {node} has size {d}; sizes must be positive")
            return str(int(d))
        if isinstance(d, sp.Symbol):
            self.dims[self.name(d.name, d)] = d
            self.namespace[d.name] = d
            return d.name
        if isinstance(d, sp.Mul):
            return "*".join(self.dim(f, node) for f in d.args)
        raise SympyBridgeError(f"SymPy's {type(node).__name__} {node} has size {d}, which matdiff "
                               "cannot declare (sizes are positive integers, names or "
                               "products of those)")

    def declarations(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for n, (r, c) in self.matrices.items():
            if r == "1" and c == "1":
                out[n] = "scalar"
            elif c == "1":
                out[n] = f"vector({r})"
            else:
                out[n] = f"matrix({r}, {c})"
        for n in self.scalars:
            if n not in self.dims:
                out[n] = "scalar"
        return out

    # --- the walk: each case returns (text, precedence)

    def emit(self, e: Any) -> tuple[str, int]:
        sp = self.sp
        M = sp.matrices.expressions
        if isinstance(e, sp.MatrixSymbol):
            return self.matrix_symbol(e)
        if isinstance(e, sp.Symbol):
            name = self.name(e.name, e)
            self.scalars[name] = e
            self.namespace[name] = e
            return name, _ATOM
        if isinstance(e, sp.Number):
            return self.number(e)
        if e is sp.E:
            return "exp(1)", _ATOM
        if isinstance(e, sp.MatAdd | sp.Add):
            return self.sum(e.args)
        if isinstance(e, sp.MatMul | sp.Mul):
            return self.product(e)
        if isinstance(e, sp.Transpose):
            inner = self.emit(e.arg)
            return f"{self.wrap(inner, _POSTFIX)}'", _POSTFIX
        if isinstance(e, M.HadamardProduct):
            return ".*".join(self.wrap(self.emit(a), _POW) for a in e.args), _MUL
        if isinstance(e, M.HadamardPower):
            return (f"{self.wrap(self.emit(e.base), _POSTFIX)}.^"
                    f"{self.wrap(self.emit(e.exp), _ATOM)}", _POW)
        if isinstance(e, sp.Inverse):
            return f"inv({self.emit(e.arg)[0]})", _ATOM
        if isinstance(e, sp.MatPow):
            return self.matpow(e)
        if isinstance(e, sp.Pow):
            return self.power(e)
        if isinstance(e, sp.Trace):
            return f"tr({self.emit(e.arg)[0]})", _ATOM
        if isinstance(e, sp.Determinant):
            return f"det({self.emit(e.arg)[0]})", _ATOM
        if isinstance(e, sp.log) and isinstance(e.args[0], sp.Determinant):
            return f"logdet({self.emit(e.args[0].arg)[0]})", _ATOM
        if isinstance(e, sp.Identity):
            return f"eye({self.dim(e.rows, e)})", _ATOM
        if isinstance(e, sp.ZeroMatrix | sp.OneMatrix):
            word = "zeros" if isinstance(e, sp.ZeroMatrix) else "ones"
            if e.cols == 1:
                return f"{word}({self.dim(e.rows, e)})", _ATOM
            return f"{word}({self.dim(e.rows, e)}, {self.dim(e.cols, e)})", _ATOM
        if isinstance(e, sp.KroneckerProduct):
            text = self.emit(e.args[0])[0]
            for a in e.args[1:]:
                text = f"kron({text}, {self.emit(a)[0]})"
            return text, _ATOM
        if isinstance(e, M.DiagMatrix):
            return f"diag({self.emit(e.args[0])[0]})", _ATOM
        if isinstance(e, M.DiagonalOf):
            return f"diag({self.emit(e.arg)[0]})", _ATOM
        if isinstance(e, self.applied):
            return self.applyfunc(e)
        functions = _functions()
        if isinstance(e, sp.Function) and type(e).__name__ in functions and len(e.args) == 1:
            return f"{functions[type(e).__name__]}({self.emit(e.args[0])[0]})", _ATOM
        raise SympyBridgeError(f"SymPy's {type(e).__name__} ({e}) has no counterpart in matdiff")

    def wrap(self, item: tuple[str, int], at_least: int) -> str:
        text, prec = item
        return text if prec >= at_least else f"({text})"

    def matrix_symbol(self, e: Any) -> tuple[str, int]:
        name = self.name(str(e.name), e)
        shape = (self.dim(e.rows, e), self.dim(e.cols, e))
        if self.matrices.setdefault(name, shape) != shape:
            raise SympyBridgeError(f"SymPy's MatrixSymbol {name!r} appears with two shapes, "
                                   f"{self.matrices[name]} and {shape}")
        self.namespace[name] = e
        return name, _ATOM

    def number(self, e: Any) -> tuple[str, int]:
        sp = self.sp
        if isinstance(e, sp.Integer):
            return str(int(e)), (_ATOM if e >= 0 else _NEG)
        if isinstance(e, sp.Rational):
            return f"{e.p}/{e.q}", _MUL
        if isinstance(e, sp.Float):
            value = float(e)
            text = repr(abs(value))
            if "e" in text or "inf" in text or "nan" in text:
                if value != value or value in (float("inf"), float("-inf")):
                    raise SympyBridgeError(f"SymPy's Float {e} is not a finite number")
                q = Fraction(abs(value))
                text = f"{q.numerator}/{q.denominator}" if q.denominator != 1 else str(q)
            text = "-" + text if value < 0 else text
            return text, (_NEG if value < 0 else _MUL if "/" in text else _ATOM)
        raise SympyBridgeError(f"SymPy's {type(e).__name__} ({e}) has no counterpart in matdiff")

    def sum(self, terms: tuple[Any, ...]) -> tuple[str, int]:
        out = ""
        for i, t in enumerate(terms):
            negative = t.could_extract_minus_sign()
            text = self.wrap(self.emit(-t if negative else t), _MUL)
            out = (("-" if negative else "") + text if i == 0 else
                   out + (" - " if negative else " + ") + text)
        return out, _ADD

    def product(self, e: Any) -> tuple[str, int]:
        sp = self.sp
        factors = list(e.args)
        sign = ""
        if factors and factors[0].is_Number and factors[0] < 0:
            sign = "-"
            factors[0] = -factors[0]
            if factors[0] == 1:
                factors.pop(0)
        numer = [f for f in factors if not (isinstance(f, sp.Pow) and f.exp.is_Number
                                            and f.exp < 0)]
        denom = [f.base ** -f.exp for f in factors if f not in numer]
        rational = [f for f in numer if isinstance(f, sp.Rational) and not f.is_Integer]
        for r in rational:  # 3/2*x -> 3*x/2
            numer.remove(r)
            numer.insert(0, sp.Integer(r.p))
            denom.insert(0, sp.Integer(r.q))
        numer = [f for f in numer if f != 1] or [sp.Integer(1)]
        text = "*".join(self.wrap(self.emit(f), _POW) for f in numer)
        if denom:
            d = "*".join(self.wrap(self.emit(f), _POW) for f in denom)
            text += "/" + (d if len(denom) == 1 and self.emit(denom[0])[1] >= _POW else f"({d})")
        return sign + text, (_NEG if sign else _MUL)

    def power(self, e: Any) -> tuple[str, int]:
        sp = self.sp
        if e.exp == sp.Rational(1, 2):
            return f"sqrt({self.emit(e.base)[0]})", _ATOM
        if e.exp == -1:
            return f"1/{self.wrap(self.emit(e.base), _POW)}", _MUL
        return (f"{self.wrap(self.emit(e.base), _POSTFIX)}^"
                f"{self.wrap(self.emit(e.exp), _ATOM)}", _POW)

    def matpow(self, e: Any) -> tuple[str, int]:
        k = e.exp
        if not k.is_Integer:
            raise SympyBridgeError(f"SymPy's MatPow {e} has exponent {k}; matdiff's matrix "
                                   "powers are integers")
        base = self.emit(e.base)
        if k == 1:
            return base
        if k == -1:
            return f"inv({base[0]})", _ATOM
        if k < 0:
            return f"inv({base[0]})^{-int(k)}", _POW
        if k == 0:
            raise SympyBridgeError(f"SymPy's MatPow {e} has exponent 0")
        return f"{self.wrap(base, _POSTFIX)}^{int(k)}", _POW

    def applyfunc(self, e: Any) -> tuple[str, int]:
        """``X.applyfunc(f)``: readable when the function's body is made of known elementwise
        functions, numbers, +, * and powers of its variable."""
        fn = e.function
        sp = self.sp
        if isinstance(fn, sp.Lambda) and len(fn.variables) == 1:
            var, body = fn.variables[0], fn.expr
        elif isinstance(fn, sp.FunctionClass) and (name := _functions().get(fn.__name__)):
            return f"{name}({self.emit(e.expr)[0]})", _ATOM
        else:
            raise SympyBridgeError(f"SymPy's ElementwiseApplyFunction of {fn} has no "
                                   "counterpart in matdiff")
        inner = self.emit(e.expr)
        return _Elementwise(self, var, inner, fn).emit(body)


class _Elementwise:
    """The body of an ``applyfunc`` Lambda, its variable standing for a whole matrix: products
    and powers are elementwise."""

    def __init__(self, reader: _Reader, var: Any, inner: tuple[str, int], fn: Any):
        self.r, self.var, self.inner, self.fn = reader, var, inner, fn

    def emit(self, b: Any) -> tuple[str, int]:
        sp, r = self.r.sp, self.r
        if b == self.var:
            return self.inner
        if not b.has(self.var):
            if b.free_symbols:
                raise SympyBridgeError(f"SymPy's ElementwiseApplyFunction of {self.fn} uses "
                                       f"other symbols ({b}) inside the function")
            return r.emit(b)
        if isinstance(b, sp.Add):
            parts = [self.emit(t) for t in b.args]
            return " + ".join(r.wrap(p, _MUL) for p in parts), _ADD
        if isinstance(b, sp.Mul):
            parts = [self.emit(t) for t in b.args]
            scal = [r.wrap(p, _POW) for t, p in zip(b.args, parts, strict=True)
                    if not t.has(self.var)]
            mats = [r.wrap(p, _POW) for t, p in zip(b.args, parts, strict=True)
                    if t.has(self.var)]
            entries = ".*".join(mats)
            if scal and len(mats) > 1:
                entries = f"({entries})"
            return "*".join([*scal, entries]), _MUL
        if isinstance(b, sp.Pow):
            if b.exp == sp.Rational(1, 2):
                return f"sqrt({self.emit(b.base)[0]})", _ATOM
            if b.exp.has(self.var):
                raise SympyBridgeError(f"SymPy's ElementwiseApplyFunction of {self.fn}: an "
                                       "exponent that depends on the entry")
            return (f"{r.wrap(self.emit(b.base), _POSTFIX)}.^"
                    f"{r.wrap(r.emit(b.exp), _ATOM)}", _POW)
        functions = _functions()
        if isinstance(b, sp.Function) and type(b).__name__ in functions and len(b.args) == 1:
            return f"{functions[type(b).__name__]}({self.emit(b.args[0])[0]})", _ATOM
        raise SympyBridgeError(f"SymPy's {type(b).__name__} ({b}) inside ElementwiseApplyFunction "
                               f"of {self.fn} has no counterpart in matdiff")


# ------------------------------------------------------------------------------ to SymPy


def to_sympy(x: Any, namespace: Mapping[str, Any] | None = None) -> Any:
    """A matdiff result (its derivative), expression (text or IR) or :class:`SympyExpression`
    as a SymPy matrix expression. Sizes are positive integer ``Symbol``s, scalars ``Symbol``s,
    vectors n x 1 ``MatrixSymbol``s; ``namespace`` (a name -> SymPy object map, such as
    ``from_sympy(e).namespace``) gives the objects to use for names it holds.

    matdiff's 1 x 1 products used as scalars become ``Trace`` of the 1 x 1 matrix, which SymPy
    reads as the scalar; ``sum(X)`` is ``ones(1, n)*X*ones(m, 1)``; a norm is the square root of
    a trace. ``vec``, ``reshape`` and commutation matrices have no SymPy matrix-expression
    counterpart: a :class:`SympyBridgeError`."""
    import sympy

    from .api import Result, compile_program

    if isinstance(x, Result):
        expr = x.expr
    elif isinstance(x, ir.Expr):
        expr = x
    elif isinstance(x, str):
        expr = compile_program(str(x)).expr
        if isinstance(x, SympyExpression) and namespace is None:
            namespace = x.namespace
    else:
        raise TypeError(f"to_sympy takes a matdiff Result, expression text or IR, not "
                        f"{type(x).__name__}")
    return _Writer(sympy, namespace or {}).write(expr)


class _Writer:
    def __init__(self, sympy: Any, namespace: Mapping[str, Any]):
        self.sp, self.ns = sympy, namespace
        self.cache: dict[int, Any] = {}

    def dim(self, d: ir.Dim) -> Any:
        sp = self.sp
        if isinstance(d, int):
            return sp.Integer(d)
        if "*" in d:
            return sp.Mul(*(self.dim(int(p) if p.isdigit() else p) for p in d.split("*")))
        return self.ns.get(d) or sp.Symbol(d, integer=True, positive=True)

    def scalar(self, v: Any) -> Any:
        """A 1 x 1 matrix expression as the scalar SymPy multiplies and adds with others."""
        sp = self.sp
        if isinstance(v, sp.MatrixExpr):
            if isinstance(v, sp.ZeroMatrix):
                return sp.Integer(0)
            return sp.Trace(v)
        return v

    def write(self, e: ir.Expr) -> Any:
        got = self.cache.get(id(e))
        if got is None:
            got = self.cache[id(e)] = self.node(e)
        return got

    def node(self, e: ir.Expr) -> Any:
        sp = self.sp
        scalar = e.is_scalar
        if isinstance(e, ir.Sym):
            if e.name in self.ns:
                return self.ns[e.name]
            if e.kind == "scalar":
                return sp.Symbol(e.name)
            return sp.MatrixSymbol(e.name, self.dim(e.shape[0]), self.dim(e.shape[1]))
        if isinstance(e, ir.Num):
            v = e.value
            return sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else \
                sp.Integer(v)
        if isinstance(e, ir.Zero | ir.Ones):
            if scalar:
                return sp.Integer(0 if isinstance(e, ir.Zero) else 1)
            cls = sp.ZeroMatrix if isinstance(e, ir.Zero) else sp.OneMatrix
            return cls(self.dim(e.shape[0]), self.dim(e.shape[1]))
        if isinstance(e, ir.Identity):
            return sp.Identity(self.dim(e.shape[0]))
        args = [self.write(c) for c in e.children]
        if isinstance(e, ir.Add):
            if scalar:
                return sp.Add(*(self.scalar(a) for a in args))
            return sp.MatAdd(*args).doit(deep=False)
        if isinstance(e, ir.Mul):
            coeffs = [self.scalar(a) for c, a in zip(e.children, args, strict=True)
                      if c.is_scalar]
            chain = [a for c, a in zip(e.children, args, strict=True) if not c.is_scalar]
            if not chain:
                return sp.Mul(*coeffs)
            product = sp.MatMul(*chain) if len(chain) > 1 else chain[0]
            if scalar:
                return sp.Mul(*coeffs, self.scalar(product))
            return sp.MatMul(sp.Mul(*coeffs), product).doit(deep=False) if coeffs else product
        if isinstance(e, ir.Hadamard):
            if scalar:
                return sp.Mul(*(self.scalar(a) for a in args))
            return sp.HadamardProduct(*args)
        if isinstance(e, ir.Pow):
            base, exponent = args
            if scalar:
                return sp.Pow(self.scalar(base), self.scalar(exponent))
            if e.children[1].is_scalar:
                return sp.HadamardPower(base, self.scalar(exponent))
            raise SympyBridgeError(f"matdiff's elementwise power by a matrix ({e}) has no "
                                   "SymPy matrix-expression counterpart")
        if isinstance(e, ir.MatPow):
            return sp.MatPow(args[0], e.args[1])
        if isinstance(e, ir.Func):
            fn = self.function(e.args[0])
            return fn(self.scalar(args[0])) if scalar else args[0].applyfunc(fn)
        if isinstance(e, ir.Transpose):
            return args[0] if scalar else sp.Transpose(args[0])
        if isinstance(e, ir.Trace):
            return self.scalar(args[0]) if e.children[0].is_scalar else sp.Trace(args[0])
        if isinstance(e, ir.Det):
            return sp.Determinant(args[0])
        if isinstance(e, ir.LogDet):
            return sp.log(sp.Determinant(args[0]))
        if isinstance(e, ir.Inv):
            return 1 / self.scalar(args[0]) if scalar else sp.Inverse(args[0])
        if isinstance(e, ir.Diag):
            return sp.matrices.expressions.DiagMatrix(args[0])
        if isinstance(e, ir.DiagPart):
            return sp.matrices.expressions.DiagonalOf(args[0])
        if isinstance(e, ir.Sum):
            return self.total(e.children[0], args[0])
        if isinstance(e, ir.Norm):
            a, c = args[0], e.children[0]
            return sp.sqrt(self.scalar(a) ** 2 if c.is_scalar else sp.Trace(a.T * a))
        if isinstance(e, ir.LogSumExp | ir.Softmax) and e.children[0].shape[1] != 1:
            raise SympyBridgeError(f"matdiff's {type(e).__name__} of a matrix (along a "
                                   "dimension) has no SymPy matrix-expression counterpart")
        if isinstance(e, ir.LogSumExp):
            return sp.log(self.total(e.children[0], args[0].applyfunc(sp.exp)))
        if isinstance(e, ir.Softmax):
            exps = args[0].applyfunc(sp.exp)
            return sp.MatMul(1 / self.total(e.children[0], exps), exps)
        if isinstance(e, ir.Kron):
            return sp.KroneckerProduct(*args)
        raise SympyBridgeError(f"matdiff's {type(e).__name__} ({e}) has no SymPy "
                               "matrix-expression counterpart")

    def total(self, node: ir.Expr, value: Any) -> Any:
        """The sum of the entries: ones(1, r)*X*ones(c, 1), read as a scalar."""
        sp = self.sp
        if node.is_scalar:
            return self.scalar(value)
        rows, cols = (self.dim(d) for d in node.shape)
        product = sp.OneMatrix(1, rows) * value
        if node.shape[1] != 1:
            product = product * sp.OneMatrix(cols, 1)
        return sp.Trace(product)

    def function(self, name: str) -> Any:
        """matdiff's elementwise function in SymPy, as its record spells it there."""
        record = ELEMENTWISE.get(name)
        if record is None:
            raise SympyBridgeError(f"matdiff's function {name} has no SymPy counterpart")
        if callable(record.sympy):  # a function SymPy lacks: a Lambda of one variable
            t = _bound_variable(self.sp)
            return self.sp.Lambda(t, record.sympy(self.sp, t))
        return getattr(self.sp, record.sympy or name)


_BOUND: list[Any] = []


def _bound_variable(sp: Any) -> Any:
    """The variable of the Lambdas written for functions SymPy lacks: one Dummy for the
    session, so that writing the same expression twice gives equal SymPy expressions."""
    if not _BOUND:
        _BOUND.append(sp.Dummy("t", real=True))
    return _BOUND[0]
