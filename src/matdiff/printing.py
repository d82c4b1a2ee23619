"""Printers: the IR back to the matdiff language (text) and to LaTeX.

One class per target, one precedence table, one ``parenthesize`` helper. The
text form parses back, with the same declarations, to an expression with the
same values: scalars come first, ``'`` marks a transpose, ``*`` the matrix
product, ``.*`` the elementwise one, and parentheses are the fewest that keep
the meaning (plus a pair around an elementwise product inside a matrix
product, which people write for clarity).

Terms of sums and factors of elementwise products are shown in the order in
which their variables first appear in the user's input, positive terms first,
so ``X*W - Y`` prints as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fractions import Fraction

from .algebra import add_list, neg, transpose, transpose_count
from .centring import mean_form, sum_form, sum_means
from .ir import (
    SCALAR,
    Add,
    Commutation,
    Differential,
    EigVals,
    Expr,
    Func,
    Hadamard,
    Identity,
    Inv,
    Kron,
    LogSumExp,
    MatPow,
    Mul,
    Num,
    Number,
    Ones,
    Pow,
    Reshape,
    Select,
    Size,
    Softmax,
    Sqrtm,
    SVals,
    Sym,
    Transpose,
    Zero,
    split_product,
)
from .names import GREEK, GREEK_UNICODE, GREEK_UPPER_UNICODE
from .ops import ELEMENTWISE, MATRIX_OPS, MatrixOp

# precedence: higher binds tighter
ADD, MUL, UNARY, POW, POSTFIX, ATOM = 1, 2, 3, 4, 5, 6
Shown = tuple[str, int]  # a node's text and the precedence of its outermost operator

_IDENT = re.compile(r"[^\W\d]\w*")
KEY_CHARS = 160  # how much of a term's text orders it among its siblings


class Printer:
    """Shared machinery: term ordering and the parenthesize helper."""

    def __init__(self, order: dict[str, int] | None = None, sized: frozenset[str] = frozenset(),
                 orient: bool = True):
        self.order = order or {}
        self.sized = sized  # dimension names that may be printed (declared ones)
        self.orient = orient  # show 1 x 1 products in the orientation of the input
        self.memo: dict[int, Shown] = {}
        self._keys: TextPrinter | None = None
        self._key_memo: dict[int, tuple] = {}

    def text(self, e: Expr) -> str:
        return self.show(e)[0]

    def show(self, e: Expr) -> Shown:
        got = self.memo.get(id(e))
        if got is None:
            op = MATRIX_OPS.get(type(e))
            got = self.print_op(e, op) if op else getattr(self, "print_" + type(e).__name__)(e)
            self.memo[id(e)] = got
        return got

    def paren(self, e: Expr, at_least: int) -> str:
        s, p = self.show(e)
        return s if p >= at_least else self.wrap(s)

    def wrap(self, s: str) -> str:
        return f"({s})"

    def print_op(self, e: Expr, op: MatrixOp) -> Shown:
        """An operation of :data:`matdiff.ops.MATRIX_OPS`, spelled as its record says."""
        raise NotImplementedError

    def oriented(self, e: Mul) -> Mul:
        """A 1 x 1 product reads either way (``x'*y = y'*x``): show the one that follows
        the input's order, with no more transposes."""

        if not (self.orient and e.is_scalar and not any(f.is_scalar for f in e.factors)):
            return e
        flipped = tuple(transpose(f) for f in reversed(e.factors))
        if any(isinstance(f, (Mul, Add)) for f in flipped):
            return e
        other = Mul(flipped)
        if transpose_count(other) > transpose_count(e):
            return e
        return other if self.display_key(other) < self.display_key(e) else e

    def scalar_key(self, e: Expr) -> tuple:
        return (_scalar_rank(e),) + self.display_key(e)

    def display_key(self, e: Expr) -> tuple:
        """Sort key for showing terms: the order of first appearance of their names."""
        got = self._key_memo.get(id(e))
        if got is None:
            if self._keys is None:
                self._keys = TextPrinter(self.order, self.sized, orient=False)
            s = self._keys.text(e)
            head = s[:KEY_CHARS]  # the first names decide; long texts need not be scanned
            names = [self.order.get(m, len(self.order)) for m in _IDENT.findall(head)
                     if m in self.order]
            got = (names, head.count("'"), len(s), head)
            self._key_memo[id(e)] = got
        return got


def _scalar_rank(f: Expr) -> int:
    """Names first, then powers and calls: ``b*a^(b - 1)``, ``lambda*U``."""
    base = f.base if isinstance(f, Pow) else f
    return 0 if isinstance(base, Sym) and not isinstance(f, Pow) else 1


class TextPrinter(Printer):
    """The matdiff language."""

    def print_Sym(self, e: Sym) -> Shown:
        return e.name, ATOM

    def print_Differential(self, e: Differential) -> Shown:
        return "d" + e.var.name, ATOM

    def print_Num(self, e: Num) -> Shown:
        v = e.value
        if v.denominator == 1:
            return str(v.numerator), (ATOM if v >= 0 else UNARY)
        decimal = _decimal(v)  # 0.001 as typed, not 1/1000
        if decimal is not None:
            return ("-" if v < 0 else "") + decimal, (ATOM if v >= 0 else UNARY)
        return f"{v.numerator}/{v.denominator}", MUL

    def sized_call(self, name: str, dims: tuple) -> Shown:
        """``eye(n)``: sizes always shown, so that the text parses back on its own."""
        return f"{name}({', '.join(str(d) for d in dims)})", ATOM

    def print_Zero(self, e: Zero) -> Shown:
        r, c = e.shape
        return self.sized_call("zeros", (r,) if c == 1 else (r, c))

    def print_Ones(self, e: Ones) -> Shown:
        r, c = e.shape
        return self.sized_call("ones", (r,) if c == 1 else (r, c))

    def print_Identity(self, e: Identity) -> Shown:
        return self.sized_call("eye", (e.n,))

    # -- sums
    def print_Add(self, e: Add) -> Shown:
        terms = []
        for t in e.terms:
            negative = _coeff(t) < 0
            body = _negate(t) if negative else t
            terms.append((negative, self.display_key(body), body))
        terms.sort(key=lambda x: (x[0], x[1]))
        out = []
        for i, (negative, _, body) in enumerate(terms):
            s = self.broadcast_term(body, e)
            if i == 0:
                out.append("-" + self.paren_neg(body, s) if negative else s)
            else:
                out.append((" - " if negative else " + ") + s)
        return "".join(out), ADD

    def paren_neg(self, body: Expr, s: str) -> str:
        return s if self.show(body)[1] >= MUL else self.wrap(s)

    def broadcast_term(self, t: Expr, parent: Add) -> str:
        """``s*ones`` added to a matrix prints as ``s`` (scalars broadcast in sums)."""
        if isinstance(t, Ones):
            return "1"
        if isinstance(t, Mul) and isinstance(t.factors[-1], Ones):
            rest = t.factors[:-1]
            if all(f.is_scalar for f in rest):
                r = rest[0] if len(rest) == 1 else Mul(rest)
                return self.paren(r, MUL)
        return self.paren(t, MUL)

    # -- products
    def scalar_part(self, coeff: Number, scalars: list[Expr], has_more: bool) -> str:
        numer, denom = _numerator_denominator(sorted(scalars, key=self.scalar_key))
        many = len(numer) + (abs(coeff.numerator) != 1) > 1 or has_more
        dparts = ([str(coeff.denominator)] if coeff.denominator != 1 else [])
        dparts += [self.scalar_factor(f, True) for f in denom]
        trailing: list[Expr] = []
        if dparts and not has_more and any(isinstance(f, Sym) for f in numer):
            # C/2*sum(W.^2): names in the fraction, the rest after it
            trailing = [f for f in numer if not isinstance(f, Sym)]
            numer = [f for f in numer if isinstance(f, Sym)]
        parts = [self.scalar_factor(f, many) for f in numer]
        if numer and not has_more and not dparts and not trailing and isinstance(numer[-1], Mul):
            parts[-1] = self.text(numer[-1])  # -2*(y - a*X*w)'*X*w: the last needs no ()
        decimal = _decimal(coeff)
        if decimal is not None and not denom:
            dparts = []
            parts.insert(0, decimal)
        elif abs(coeff.numerator) != 1 or (not parts and (dparts or not has_more)):
            parts.insert(0, str(abs(coeff.numerator)))
        s = "*".join(parts)
        if dparts:
            d = "*".join(dparts)
            if len(dparts) > 1 or _looser_than_power(d):
                d = self.wrap(d)
            s += "/" + d
        for f in trailing:
            s += "*" + self.scalar_factor(f, True)
        return s

    def scalar_factor(self, f: Expr, many: bool) -> str:
        s, p = self.show(f)
        if p < MUL or (many and p == MUL and isinstance(f, (Mul, Num))):
            return self.wrap(s)
        return s

    def chain_factor(self, f: Expr) -> str:
        s, p = self.show(f)
        if p < MUL or (p == MUL and not isinstance(f, Mul)):
            return self.wrap(s)
        return s

    def scaled(self, sign: str, coeff: Number, scalars: list[Expr], chain_s: str) -> Shown:
        """A product written as its scalars before the text of its matrix part."""
        if (coeff == 1 or coeff == -1) and not scalars:
            return sign + chain_s, MUL
        pre = self.scalar_part(coeff, scalars, True)
        return sign + pre + (" * " if "/" in pre else "*") + chain_s, MUL

    def print_Mul(self, e: Mul) -> Shown:

        coeff, scalars, chain = split_product(self.oriented(e))
        sign = "-" if coeff < 0 else ""
        means = sum_means(scalars)
        if means is not None:  # sum(x)/n: mean(x)
            scalars = means[0] + [Sym(f"mean({self.text(v)})", SCALAR, "scalar")
                                  for v in means[1]]
            if coeff in (1, -1) and len(scalars) == 1 and not chain:
                return sign + self.text(scalars[0]), (UNARY if sign else ATOM)
        sums = sum_form(chain)
        if sums is not None:  # (G.*S)*ones(q, q): sum(G.*S, 2)*ones(q)'
            dim, n, h = sums
            s = f"sum({self.text(h)}, {dim})"
            column = self.text(Ones((n, 1)))
            chain_s = s if n == 1 else f"{column}*{s}" if dim == 1 else f"{s}*{column}'"
            return self.scaled(sign, coeff, scalars, chain_s)
        mean = mean_form(scalars, chain)
        if mean is not None:  # ones(n, n)*X/n: ones(n)*mean(X, 1)
            scalars, dim, n, rest, scaling = mean
            column = self.text(Ones((n, 1)))
            m = f"mean({self.text(rest)}{'' if 1 in rest.shape else f', {dim}'})"
            chain_s = m if n == 1 else f"{column}*{m}" if dim == 1 else f"{m}*{column}'"
            scale = [self.chain_factor(f) for f in scaling]
            chain_s = "*".join([chain_s, *scale] if dim == 1 else [*scale, chain_s])
            return self.scaled(sign, coeff, scalars, chain_s)
        if not chain:
            s = self.scalar_part(coeff, scalars, False)
            return sign + s, MUL
        chain_s = "*".join(self.chain_factor(f) for f in chain)
        if (coeff == 1 or coeff == -1) and not scalars:
            if len(chain) == 1 and sign and isinstance(chain[0], Add) and any(
                    _coeff(t) < 0 for t in chain[0].terms):  # -(a - b) prints as b - a

                return self.show(add_list(_negate(t) for t in chain[0].terms))
            if len(chain) == 1:  # -y.*x is (-y).*x: a unary minus needs no parentheses
                s, p = self.show(chain[0])
                if not sign:
                    return s, p
                return sign + (s if p >= MUL else self.wrap(s)), MUL
            return sign + chain_s, MUL
        numer = [f for f in scalars if not _negative_power(f)]
        if coeff.numerator in (1, -1) and not numer and _decimal(coeff) is None:
            # only a denominator: (X*W - Y)/N, x/norm(x), 1./(2*sqrt(x))
            den = self.scalar_part(Fraction(1, coeff.denominator), scalars, True)[2:]
            body = _reciprocal(chain[0]) if len(chain) == 1 else None
            if body is not None:
                parts = [str(coeff.denominator)] if coeff.denominator != 1 else []
                # the scalars are all negative powers here: their reciprocals
                _, denom = _numerator_denominator(sorted(scalars, key=self.scalar_key))
                parts += [self.scalar_factor(f, True) for f in denom]
                d = "*".join(parts + [self.paren(body, POW)])
                return sign + "1./(" + d + ")", MUL
            return sign + chain_s + "/" + den, MUL
        pre = self.scalar_part(coeff, scalars, True)
        sep = " * " if "/" in pre else "*"
        return sign + pre + sep + chain_s, MUL

    def print_Hadamard(self, e: Hadamard) -> Shown:
        numer, denom = _numerator_denominator(e.factors)
        numer.sort(key=self.display_key)
        denom.sort(key=self.display_key)
        s = ".*".join(self.paren(f, POW) for f in numer) if numer else "1"
        for f in denom:
            s += "./" + self.paren(f, POW)
        return s, MUL

    def print_Pow(self, e: Pow) -> Shown:
        base, p = e.base, e.exponent
        op = "^" if e.is_scalar else ".^"
        if isinstance(p, Num) and p.value < 0:
            one = "1/" if e.is_scalar else "1./"
            pos = base if p.value == -1 else Pow(base, Num(-p.value))
            return one + self.paren(pos, POW), MUL
        if isinstance(p, Num) and p.value == Fraction(1, 2):
            return f"sqrt({self.text(base)})", ATOM
        if isinstance(p, Num) and p.value.denominator == 1:
            ex = str(p.value.numerator)
        else:
            ex = self.paren(p, POSTFIX)
        return self.paren(base, POSTFIX) + op + ex, POW

    def print_MatPow(self, e: MatPow) -> Shown:
        return self.paren(e.base, POSTFIX) + "^" + str(e.k), POW

    def print_Transpose(self, e: Transpose) -> Shown:
        rows = along_rows(e)
        if rows is not None:  # softmax(X', 1)' is softmax(X, 2)
            return self.call(rows[0], rows[1], extra=f", {rows[2]}")
        return self.paren(e.arg, POSTFIX) + "'", POSTFIX

    def call(self, name: str, *args: Expr, extra: str = "") -> Shown:
        inner = ", ".join(self.text(a) for a in args)
        return f"{name}({inner}{extra})", ATOM

    def print_Select(self, e: Select) -> Shown:  # M[:, k], M[i, :], M[i, j], v[k]
        return self.paren(e.arg, POSTFIX) + f"[{positions(e)}]", POSTFIX

    def print_Func(self, e: Func) -> Shown:
        return self.call(e.name, e.arg)

    def print_op(self, e: Expr, op: MatrixOp) -> Shown:  # tr(X), norm(X, 'fro'), ...
        return self.call(op.name, *e.children, extra=op.text_suffix(e) if op.text_suffix else "")

    def print_Kron(self, e: Kron) -> Shown:
        return self.call("kron", e.left, e.right)

    def print_Reshape(self, e: Reshape) -> Shown:
        return f"reshape({self.text(e.arg)}, {e.rows}, {e.cols})", ATOM

    def print_Commutation(self, e: Commutation) -> Shown:
        return f"commutation({e.m}, {e.n})", ATOM

    def print_Size(self, e: Size) -> Shown:  # n, or m*n (a product)
        return str(e.dim), MUL if "*" in str(e.dim) else ATOM


def _decimal(v: Number) -> str | None:
    """|v| as a decimal: -1/500 -> '0.002' (when the denominator is a large power of 2 and 5)."""
    v = -v if v < 0 else v
    d = v.denominator
    if d <= 10:
        return None
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d != 1:
        return None
    text = f"{float(v):.12g}"
    return text if Fraction(text) == v else None


def _negative_power(f: Expr) -> bool:
    return isinstance(f, Pow) and isinstance(f.exponent, Num) and f.exponent.value < 0


def _reciprocal(f: Expr) -> Expr | None:
    """``b.^q`` (``b`` when q = 1) for a negative power ``f = b.^-q``, else None."""
    if isinstance(f, Pow) and isinstance(f.exponent, Num) and f.exponent.value < 0:
        q = -f.exponent.value
        return f.base if q == 1 else Pow(f.base, Num(q))
    return None


def _numerator_denominator(factors: Iterable[Expr]) -> tuple[list[Expr], list[Expr]]:
    """Factors as (numerator, denominator): a negative power ``b.^-q`` goes below as ``b.^q``."""
    numer: list[Expr] = []
    denom: list[Expr] = []
    for f in factors:
        r = _reciprocal(f)
        if r is None:
            numer.append(f)
        else:
            denom.append(r)
    return numer, denom


def _looser_than_power(s: str) -> bool:
    depth = 0
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch in "*/+-":
            return True
    return False


def _coeff(t: Expr) -> Number:
    if isinstance(t, Num):
        return t.value
    if isinstance(t, Mul) and isinstance(t.factors[0], Num):
        return t.factors[0].value
    return Fraction(1)


def _negate(t: Expr) -> Expr:

    return neg(t)


class LatexPrinter(TextPrinter):
    """LaTeX, for rendering: ``\\frac{2}{N} X^\\top (X W - Y)``."""

    def wrap(self, s: str) -> str:
        return f"({s})"

    def print_Sym(self, e: Sym) -> Shown:
        return latex_name(e.name), ATOM

    def print_Differential(self, e: Differential) -> Shown:
        return "\\mathrm{d}" + latex_name(e.var.name), ATOM

    def print_Num(self, e: Num) -> Shown:
        v = e.value
        if v.denominator == 1:
            return str(v.numerator), (ATOM if v >= 0 else UNARY)
        sign = "-" if v < 0 else ""
        return f"{sign}\\frac{{{abs(v.numerator)}}}{{{v.denominator}}}", MUL

    def print_Zero(self, e: Zero) -> Shown:
        return "0", ATOM

    def print_Ones(self, e: Ones) -> Shown:
        return "\\mathbf{1}", ATOM

    def print_Identity(self, e: Identity) -> Shown:
        return "I", ATOM

    def broadcast_term(self, t: Expr, parent: Add) -> str:
        """Unlike the text, ``ones`` in a sum stays the all-ones \\mathbf{1}: a plain 1 added
        to a vector or matrix reads as a scalar."""
        return self.paren(t, MUL)

    def scalar_part(self, coeff: Number, scalars: list[Expr], has_more: bool) -> str:
        numer, denom = _numerator_denominator(sorted(scalars, key=self.scalar_key))
        parts = [self.scalar_factor(f, len(numer) > 1 or has_more) for f in numer]
        c = abs(coeff.numerator)
        dparts = ([str(coeff.denominator)] if coeff.denominator != 1 else [])
        dparts += [self.scalar_factor(f, False) for f in denom]
        if dparts:
            top = " ".join(([str(c)] if c != 1 or not parts else []) + parts)
            return f"\\frac{{{top}}}{{{' '.join(dparts)}}}"
        if c != 1 or not parts:
            parts.insert(0, str(c))
        return " ".join(parts)

    def scalar_factor(self, f: Expr, many: bool) -> str:
        s, p = self.show(f)
        return self.wrap(s) if p < MUL or (many and isinstance(f, Mul)) else s

    def print_Mul(self, e: Mul) -> Shown:

        coeff, scalars, chain = split_product(self.oriented(e))
        sign = "-" if coeff < 0 else ""
        if not scalars and abs(coeff) == 1 and len(chain) == 1:
            s, p = self.show(chain[0])
            return (sign + (s if p >= MUL or not sign else self.wrap(s)), MUL if sign else p)
        parts = []
        if scalars or abs(coeff) != 1 or not chain:
            parts.append(self.scalar_part(coeff, scalars, bool(chain)))
        parts += [self.chain_factor(f) for f in chain]
        return sign + " ".join(parts), MUL

    def print_Hadamard(self, e: Hadamard) -> Shown:
        numer, denom = _numerator_denominator(e.factors)
        numer.sort(key=self.display_key)
        s = " \\odot ".join(self.paren(f, POW) for f in numer) if numer else "\\mathbf{1}"
        for f in sorted(denom, key=self.display_key):
            s += " \\oslash " + self.paren(f, POW)
        return s, MUL

    def print_Pow(self, e: Pow) -> Shown:
        base, p = e.base, e.exponent
        if isinstance(p, Num) and p.value < 0 and base.is_scalar:
            pos = base if p.value == -1 else Pow(base, Num(-p.value))
            return f"\\frac{{1}}{{{self.text(pos)}}}", MUL
        if isinstance(p, Num) and p.value == Fraction(1, 2) and base.is_scalar:
            return f"\\sqrt{{{self.text(base)}}}", ATOM
        ex = self.text(p)
        if not base.is_scalar:
            ex = "\\circ " + ex if not ex.startswith("-") else "\\circ(" + ex + ")"
        return f"{self.paren(base, POSTFIX)}^{{{ex}}}", POW

    def print_MatPow(self, e: MatPow) -> Shown:
        return f"{self.paren(e.base, POSTFIX)}^{{{e.k}}}", POW

    def print_Transpose(self, e: Transpose) -> Shown:
        rows = along_rows(e)
        if rows is not None:
            return (f"\\operatorname{{{rows[0]}}}\\left({self.text(rows[1])}, {rows[2]}\\right)",
                    ATOM)
        if isinstance(e.arg, Inv):
            return f"{self.paren(e.arg.arg, POSTFIX)}^{{-\\top}}", POSTFIX
        return self.paren(e.arg, POSTFIX) + "^\\top", POSTFIX

    def op(self, name: str, arg: Expr) -> Shown:
        return f"{name}\\left({self.text(arg)}\\right)", ATOM

    def print_Select(self, e: Select) -> Shown:
        """``\\lambda_{1}(S)``, ``\\sigma_{2}(X)``; else the positions after the operand:
        ``\\operatorname{eigvecs}(S)_{:,1}``, ``{X}_{1,2}`` (braced, or it is a name)."""
        where = positions(e).replace(" ", "")
        if isinstance(e.arg, EigVals | SVals) and e.arg.shape[1] == 1 and e.col == 1:
            letter = "\\lambda" if isinstance(e.arg, EigVals) else "\\sigma"
            return f"{letter}_{{{where}}}\\left({self.text(e.arg.arg)}\\right)", POSTFIX
        s, p = self.show(e.arg)
        size = str(e.arg.shape[0])
        if isinstance(e.arg, Identity) and re.fullmatch(r"[A-Za-z]|[1-9][0-9]*", size):
            s = f"I_{{{size}}}"  # {I_{n}}_{:,1}: the size, which nothing else may give
        if p < POSTFIX and not ends_in_superscript(s):
            s = self.wrap(s)  # (A B)_{1,2}
        elif not s.endswith("\\right)"):
            s = "{" + s + "}"  # {X}_{1,2}, {e^{X}}_{1,1}
        return f"{s}_{{{where}}}", POSTFIX

    def print_Func(self, e: Func) -> Shown:
        if e.name in ENTRYWISE_OF_A_MATRIX and e.arg.shape[0] != 1 and e.arg.shape[1] != 1:
            # exp, log, sqrt of a matrix written as such are the matrix functions
            return ENTRYWISE_OF_A_MATRIX[e.name].format(x=self.text(e.arg),
                                                        px=self.paren(e.arg, POSTFIX)), POW
        return ELEMENTWISE[e.name].latex.format(x=self.text(e.arg)), ATOM

    def print_op(self, e: Expr, op: MatrixOp) -> Shown:  # \operatorname{tr}(X), X^{-1}, ...
        if isinstance(e, Inv) and isinstance(e.arg, Sqrtm):
            return f"{self.paren(e.arg.arg, POSTFIX)}^{{-1/2}}", POW
        if op.postfix:
            s, p = op.latex_of(e, self.paren(e.args[0], POSTFIX)), POSTFIX
        else:
            s, p = op.latex_of(e, *(self.text(c) for c in e.children)), ATOM
        # e^{X}, X^{-1}, X^{1/2}: another superscript needs brackets first
        return s, POW if ends_in_superscript(s) else p

    def print_Kron(self, e: Kron) -> Shown:
        return f"{self.paren(e.left, POW)} \\otimes {self.paren(e.right, POW)}", MUL

    def print_Reshape(self, e: Reshape) -> Shown:
        return (f"\\operatorname{{reshape}}\\left({self.text(e.arg)}, {e.rows}, {e.cols}\\right)",
                ATOM)

    def print_Commutation(self, e: Commutation) -> Shown:
        return f"K_{{{e.m},{e.n}}}", ATOM

    def print_Size(self, e: Size) -> Shown:
        parts = str(e.dim).split("*")
        return " ".join(latex_name(p) for p in parts), ATOM if len(parts) == 1 else MUL


# The entrywise exp, log and sqrt of a matrix: the Hadamard forms (``\exp(X)``,
# ``\log(X)``, ``X^{1/2}`` of a square matrix read as the matrix functions).
ENTRYWISE_OF_A_MATRIX = {"exp": "e^{{\\circ {px}}}", "log": "\\log^{{\\circ}}\\left({x}\\right)",
                         "sqrt": "{px}^{{\\circ 1/2}}"}


def ends_in_superscript(s: str) -> bool:
    """Whether LaTeX ends with a superscript group (``e^{X}``, ``X^{-1}``)."""
    if not s.endswith("}"):
        return False
    depth = 0
    for k in range(len(s) - 1, -1, -1):
        depth += {"}": 1, "{": -1}.get(s[k], 0)
        if depth == 0:
            return k > 0 and s[k - 1] == "^"
    return False


def positions(e: Select) -> str:
    """The bracket of a selection: ``:, 1``, ``2, :``, ``1, 2``; one position for a vector."""
    if e.arg.shape[1] == 1 and e.col == 1:
        return str(e.row)
    return f"{e.row or ':'}, {e.col or ':'}"


def along_rows(e: Transpose) -> tuple[str, Expr, int] | None:
    """A transposed ``softmax`` or ``logsumexp`` of a matrix is the same operation of the
    transposed matrix along the other dimension: its name, that matrix and dimension."""
    inner = e.arg
    if isinstance(inner, Softmax | LogSumExp) and inner.arg.shape[1] != 1:
        name = "softmax" if isinstance(inner, Softmax) else "logsumexp"
        return name, transpose(inner.arg), 3 - inner.dim
    return None


def latex_name(name: str) -> str:
    """``lambda`` -> ``\\lambda``, ``x_1`` -> ``x_{1}``, ``λ`` -> ``\\lambda``,
    ``lr`` -> ``\\mathit{lr}``."""
    base, _, sub = name.partition("_")
    m = re.fullmatch(r"([^\W\d_]+?)(\d+)", base) if not sub else None
    if m:
        base, sub = m.group(1), m.group(2)
    if base in GREEK or base.lower() in GREEK and base[0].isupper():
        head = "\\" + base
    elif base in GREEK_UNICODE:
        head = "\\" + GREEK_UNICODE[base]
    elif base in GREEK_UPPER_UNICODE:
        head = "\\" + GREEK_UPPER_UNICODE[base]
    elif len(base) == 1:
        head = base
    else:
        head = f"\\mathit{{{base}}}"
    return f"{head}_{{{latex_name(sub) if sub else ''}}}" if sub else head


def to_text(e: Expr, order: dict[str, int] | None = None,
            sized: frozenset[str] = frozenset()) -> str:
    return TextPrinter(order, sized).text(e)


def to_latex(e: Expr, order: dict[str, int] | None = None) -> str:
    return LatexPrinter(order).text(e)
