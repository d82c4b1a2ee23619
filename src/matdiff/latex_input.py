"""LaTeX input: formulas as they appear in papers, lecture notes and Q&A sites.

:func:`parse_latex` reads a LaTeX formula, optionally followed by a ``where`` clause in
the plain language (plus index declarations such as ``u_i: row i of U``,
``W^{j}: column j of W``), into the same :class:`~matdiff.syntax.Parsed` tree the plain
parser produces.  Every node's span, and every error position, is an offset into the
ORIGINAL text, so errors show a caret under the offending LaTeX character; an
unsupported macro is named (``unsupported LaTeX command \\foo``).

What is read (a hand-written tokenizer and recursive-descent parser, no eval):

* fractions ``\\frac{a}{b}``, ``\\dfrac``, ``\\tfrac``, ``\\cfrac``, and their one-token
  arguments ``\\frac1N``, ``\\frac 2N``, ``\\frac12``;
* products: implicit (``XW``, ``2X^T(XW-Y)``, ``\\lambda U``), ``*``, ``\\cdot``,
  ``\\times`` (ordinary products), ``\\odot`` and ``\\circ`` (elementwise), ``\\otimes``
  (``kron``), ``/``;
* ``^T``, ``^\\top``, ``^{T}``, ``^{\\mathsf T}``, ``^\\intercal``, ``^\\prime`` and ``'``
  (transpose), ``^{-1}`` (inverse), ``^{-T}``, other exponents (powers);
* norms ``\\|x\\|``, ``\\left\\| .. \\right\\|``, ``||x||``, ``\\lVert .. \\rVert``,
  ``\\Vert``, with ``_F``, ``_{\\text{F}}``, ``_{Fro}`` (``norm(X, 'fro')``), ``_2``,
  ``_1`` (``norm1``) and powers in either order; ``|x|`` is ``abs``;
  ``\\langle A, B \\rangle`` is ``sum(A.*B)``;
* brackets ``( ) [ ] { } \\{ \\}`` with ``\\left``/``\\right`` and ``\\big``-style sizes;
* styles stripped: ``\\mathbf``, ``\\boldsymbol``, ``\\bm``, ``\\mathcal``, ...;
  ``\\mathrm``, ``\\text``, ``\\operatorname``, ``\\mbox``, ``\\mathsf``: a function name
  (``\\operatorname{tr}``, ``\\mathrm{Tr}``), a letter, or a multi-letter name;
* functions ``\\log \\ln \\exp \\sin \\cos \\tan \\sinh \\cosh \\tanh \\det \\sqrt``,
  ``\\operatorname{tr/diag/vec/logdet/sigmoid/...}``, bare ``tr(``, ``log(`` ...;
  with brackets or applied to the product that follows (``\\log\\det X``);
* Greek letters (``\\lambda`` -> ``lambda``, ``\\Sigma`` -> ``Sigma``), subscripted
  names (``x_1`` -> ``x_1``, ``W_{2}`` -> ``W_2``), accents (``\\hat y`` -> ``y_hat``);
* ``e^{..}`` is ``exp(..)``, ``I`` / ``\\mathbf{I}`` the identity, ``\\mathbf{1}`` the
  all-ones vector (each unless declared a variable; each gives a note);
* ``F(U, V) = ...``: the right-hand side is read;
* sums in index notation (see :mod:`matdiff.index_notation`): ``\\sum_{j=1}^{m}``,
  ``\\sum^{m}_{j'=1}``, ``\\sum_{i,j}``, ``\\sum_{ij}``, ``\\sum_i\\sum_j``,
  ``\\sum_{(i,j)\\in\\Omega}``, with entries ``x_i``, ``M_{ij}``, rows and columns
  ``u_i``, ``W^{j}``, ``W_{:,j}``, ``W_{i,:}`` (declared in the where clause, or
  inferred: a superscript index on an uppercase matrix is a column).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import NoReturn

from .errors import MatdiffError, MatdiffSyntaxError
from .index_notation.resolve import resolve
from .syntax import IndexSum, Slice, Translated
from .unparse import declaration_text, to_plain
from .parse import parse_declarations
from .names import GREEK_UNICODE, GREEK_UPPER_UNICODE
from .syntax import Binary, Call, Declaration, Name, Node, Number, Span, String, Transpose, Unary

__all__ = ["LatexToken", "looks_like_latex", "parse_latex", "tokenize_latex"]

# ---------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------

GREEK = {g: g for g in (
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi",
    "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
    "Psi", "Omega", "ell")}
GREEK.update({"varepsilon": "epsilon", "vartheta": "theta", "varkappa": "kappa",
              "varpi": "pi", "varrho": "rho", "varsigma": "sigma", "varphi": "phi"})
_UNICODE_NAMES = {**GREEK_UNICODE, **GREEK_UPPER_UNICODE}

# Commands that are functions of one argument (the name matdiff uses).
FUNCTION_CMDS = {"log": "log", "ln": "log", "exp": "exp", "sin": "sin", "cos": "cos",
                 "tan": "tan", "tanh": "tanh", "sinh": "sinh", "cosh": "cosh", "det": "det",
                 "tr": "tr", "Tr": "tr", "trace": "tr", "Trace": "tr", "sgn": "sign",
                 "diag": "diag", "logdet": "logdet"}
# Words (in \operatorname{..}, \mathrm{..}, \text{..}, or bare before '(') that are functions.
FUNCTION_WORDS = {**FUNCTION_CMDS, "diag": "diag", "Diag": "diag", "vec": "vec",
                  "logdet": "logdet", "sigmoid": "sigmoid", "softmax": "softmax",
                  "softplus": "softplus", "relu": "relu", "ReLU": "relu", "sign": "sign",
                  "abs": "abs", "logsumexp": "logsumexp", "LSE": "logsumexp", "sqrt": "sqrt",
                  "sum": "sum", "tr": "tr", "Tr": "tr", "TR": "tr"}
BARE_FUNCTIONS = {w for w in FUNCTION_WORDS if len(w) > 1} - {"sum"}

# Style commands: the content is the formula (\mathbf{Wu - v} is W*u - v).
STRIP_STYLES = {"mathbf", "boldsymbol", "bm", "pmb", "mathbfit", "mathcal", "mathscr",
                "mathfrak", "mathnormal", "mathbold", "symbf", "symbfit", "vec", "vb",
                "vectorbold", "bs", "mathbbm"}
# Word commands: the content is a name or a function name (\mathrm{Tr}, \text{F}).
WORD_STYLES = {"mathrm", "text", "textrm", "textit", "textsf", "texttt", "mathsf", "mathit",
               "mbox", "hbox", "operatorname", "textbf", "mathtt", "symrm", "symup",
               "mathup", "textnormal", "textup", "mathsfit"}
ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
           "widetilde": "tilde", "dot": "dot", "ddot": "ddot", "check": "check",
           "breve": "breve", "acute": "acute", "grave": "grave", "mathring": "ring"}
# Commands that do nothing here (spacing, sizes of display, switches).
SKIP_CMDS = {",", ";", ":", "!", " ", "quad", "qquad", "enspace", "thinspace", "medspace",
             "thickspace", "negthinspace", "negmedspace", "negthickspace", "displaystyle",
             "textstyle", "scriptstyle", "scriptscriptstyle", "limits", "nolimits", "nonumber",
             "notag", "rm", "bf", "it", "sf", "cal", "mathstrut", "strut", "relax", "\n",
             "\t", "middle"}
PRODUCT_CMDS = {"cdot": "*", "times": "*", "ast": "*", "odot": ".*", "circ": ".*",
                "otimes": "kron", "oslash": "./", "div": "/", "bullet": "*"}
SIZES_OPEN = {"bigl", "Bigl", "biggl", "Biggl"}
SIZES_CLOSE = {"bigr", "Bigr", "biggr", "Biggr"}
SIZES_EITHER = {"big", "Big", "bigg", "Bigg", "bigm", "Bigm", "biggm", "Biggm"}
EQUALS_CMDS = {"coloneqq", "triangleq", "equiv", "doteq", "eqqcolon", "coloneq", "defeq",
               "stackrel"}

# Commands that cannot start an operand (closers, relations, ...).
NOT_OPERANDS = {"right", "rVert", "rvert", "rangle", "}", "rbrace", "rbrack", "pm", "mp", "in",
                "\\", "end", "le", "leq", "ge", "geq", "neq", "approx"}

# Delimiters: (kind, text) -> canonical kind.
OPENERS = {("sym", "("): "(", ("sym", "["): "[", ("sym", "{"): "{", ("cmd", "{"): "\\{",
           ("cmd", "lbrace"): "\\{", ("cmd", "lbrack"): "[", ("cmd", "langle"): "<",
           ("cmd", "lVert"): "||", ("cmd", "Vert"): "||", ("cmd", "|"): "||",
           ("sym", "||"): "||", ("sym", "|"): "|", ("cmd", "lvert"): "|", ("cmd", "vert"): "|"}
CLOSERS = {("sym", ")"): "(", ("sym", "]"): "[", ("sym", "}"): "{", ("cmd", "}"): "\\{",
           ("cmd", "rbrace"): "\\{", ("cmd", "rbrack"): "[", ("cmd", "rangle"): "<",
           ("cmd", "rVert"): "||", ("cmd", "Vert"): "||", ("cmd", "|"): "||",
           ("sym", "||"): "||", ("sym", "|"): "|", ("cmd", "rvert"): "|", ("cmd", "vert"): "|"}
CLOSE_TEXT = {"(": ")", "[": "]", "{": "}", "\\{": "\\}", "<": "\\rangle", "||": "\\|",
              "|": "|"}
OPEN_TEXT = {"(": "(", "[": "[", "{": "{", "\\{": "\\{", "<": "\\langle", "||": "\\|",
             "|": "|"}
BARS = {"|", "||"}

_TRANSPOSE_CMDS = {"top", "intercal", "prime", "mathsf", "mathrm", "rm", "text", "mathit",
                   "textsf", "sf", "mathbf", "bf", "textrm", "operatorname", "mathtt"}

# ---------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatexToken:
    """``kind``: ``cmd`` (text: the name without the backslash), ``letter``, ``num``,
    ``sym`` or ``eof``; ``start``/``end``: offsets in the original text."""

    kind: str
    text: str
    start: int
    end: int


Tok = LatexToken

_UNICODE_SYMBOLS = {"∘": ("cmd", "circ"), "⊙": ("cmd", "odot"), "·": ("cmd", "cdot"),
                    "⋅": ("cmd", "cdot"), "×": ("cmd", "times"), "⊗": ("cmd", "otimes"),
                    "−": ("sym", "-"), "‖": ("cmd", "|"), "⊤": ("cmd", "top"),
                    "∑": ("cmd", "sum"), "∈": ("cmd", "in"), "⟨": ("cmd", "langle"),
                    "⟩": ("cmd", "rangle"), "√": ("cmd", "sqrt")}
_SYMBOLS = set("+-*/^_()[]{},'=<>:;!.&@|")


def tokenize_latex(text: str, start: int = 0, end: int | None = None) -> list[Tok]:
    """The tokens of ``text[start:end]``, ending with an ``eof`` token (offsets into text)."""
    end = len(text) if end is None else end
    toks: list[Tok] = []
    i = start
    while i < end:
        ch = text[i]
        if ch.isspace() or ch in "$~":
            i += 1
            continue
        if ch == "%":
            while i < end and text[i] != "\n":
                i += 1
            continue
        if ch == "\\":
            j = i + 1
            if j < end and text[j].isalpha() and text[j].isascii():
                while j < end and text[j].isalpha() and text[j].isascii():
                    j += 1
                name = text[i + 1:j]
            elif j < end:
                j += 1
                name = text[i + 1:j]
            else:
                raise MatdiffSyntaxError("a lone backslash at the end", i, text)
            if name not in SKIP_CMDS:
                toks.append(Tok("cmd", name, i, j))
            i = j
            continue
        if ch.isdigit() and ch.isascii() or ch == "." and i + 1 < end and text[i + 1].isdigit():
            j = i
            while j < end and text[j].isdigit() and text[j].isascii():
                j += 1
            if j < end and text[j] == "." and j + 1 < end and text[j + 1].isdigit():
                j += 1
                while j < end and text[j].isdigit() and text[j].isascii():
                    j += 1
            toks.append(Tok("num", text[i:j], i, j))
            i = j
            continue
        if ch in _UNICODE_SYMBOLS:
            kind, name = _UNICODE_SYMBOLS[ch]
            toks.append(Tok(kind, name, i, i + 1))
            i += 1
            continue
        if ch == "ᵀ":
            toks += [Tok("sym", "^", i, i + 1), Tok("letter", "T", i, i + 1)]
            i += 1
            continue
        if ch == "²":
            toks += [Tok("sym", "^", i, i + 1), Tok("num", "2", i, i + 1)]
            i += 1
            continue
        if ch.isalpha():
            toks.append(Tok("letter", ch, i, i + 1))
            i += 1
            continue
        if ch == "|" and i + 1 < end and text[i + 1] == "|":
            toks.append(Tok("sym", "||", i, i + 2))
            i += 2
            continue
        if ch in _SYMBOLS:
            toks.append(Tok("sym", ch, i, i + 1))
            i += 1
            continue
        raise MatdiffSyntaxError(f"unexpected character {ch!r} in the LaTeX formula", i, text)
    toks.append(Tok("eof", "", end, end))
    return toks


def looks_like_latex(text: str) -> bool:
    """Whether text is probably LaTeX (the web page's auto-detection)."""
    t = text.lstrip()
    return t.startswith(("\\", "$")) or any(
        s in text for s in ("\\frac", "\\|", "_{", "^{", "\\left", "\\sum", "\\mathbf",
                            "\\lambda", "\\top"))


# ---------------------------------------------------------------------------------------
# The where clause: plain declarations plus index declarations
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SliceDecl:
    kind: str  # "row" | "col"
    target: str
    index: str
    span: Span


_IDX = r"\{?\s*[A-Za-z]\s*(?:'|\\prime)*\s*\}?"
_SLICE_DECL = re.compile(
    r"(?:the\s+)?(?:(row|column|col)\s+(" + _IDX + r")|(" + _IDX +
    r")(?:\s*-?\s*(?:th|st|nd|rd))?\s+(row|column|col))\s+of\s+(?:the\s+matrix\s+)?(.+?)\s*$")


def _split_where(text: str) -> int:
    """The offset of the 'where' that starts the where clause (outside braces), or -1."""
    depth = 0
    for m in re.finditer(r"[{}]|(?<![A-Za-z\\])where(?![A-Za-z])", text):
        g = m.group()
        if g == "{":
            depth += 1
        elif g == "}":
            depth -= 1
        elif depth <= 0:
            return m.start()
    return -1


def _segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Ranges of text[start:end] between top-level ',' and ';'."""
    out, depth, a = [], 0, start
    for i in range(start, end):
        ch = text[i]
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch in ",;" and depth == 0:
            out.append((a, i))
            a = i + 1
    out.append((a, end))
    return out


def _norm_index(s: str) -> str:
    s = s.replace("\\prime", "'")
    return re.sub(r"[{}\s]", "", s)


def _where_clause(text: str, start: int) -> tuple[tuple[Declaration, ...], dict]:
    """Parse the where clause text[start:] (after the keyword)."""
    slice_decls: dict[tuple[str, str], SliceDecl] = {}
    kept: list[tuple[int, int]] = []
    names: list[tuple[int, int]] = []
    for a, b in _segments(text, start, len(text)):
        seg = text[a:b]
        colon = _top_colon(seg)
        if colon < 0:
            if not seg.strip():
                raise MatdiffSyntaxError("expected a declaration (as in 'X: matrix')", a, text)
            names.append((a, b))
            continue
        group_start = names[0][0] if names else a
        rhs_at = a + colon + 1
        rhs = text[rhs_at:b]
        m = _SLICE_DECL.fullmatch(rhs.strip())
        if m:
            if names:
                raise MatdiffSyntaxError("declare one row or column per name", names[0][0], text)
            lhs_at = a
            base, script, index, _ = _slice_lhs(text, lhs_at, a + colon)
            kind = (m.group(1) or m.group(4)).lower()
            kind = "col" if kind.startswith("col") else "row"
            idx_text = m.group(2) or m.group(3)
            rhs_lead = rhs_at + len(rhs) - len(rhs.lstrip())
            if _norm_index(idx_text) != _norm_index(index):
                pos = rhs_lead + (m.start(2) if m.group(2) else m.start(3))
                raise MatdiffSyntaxError(
                    f"the index here ({_norm_index(idx_text)}) is not the one of "
                    f"{text[lhs_at:a + colon].strip()} ({index})", pos, text)
            target_at = rhs_lead + m.start(5)
            target = _latex_name(text, target_at, rhs_lead + m.end(5))
            key = (base, script)
            if key in slice_decls:
                raise MatdiffSyntaxError(f"{text[lhs_at:a + colon].strip()} is declared twice",
                                         lhs_at, text)
            slice_decls[key] = SliceDecl(kind, target, index, Span(lhs_at, b))
        else:
            kept.append((group_start, b))
        names = []
    if names:
        raise MatdiffSyntaxError("expected ':' and a kind after the name (as in 'X: matrix')",
                                 names[-1][1], text)
    declarations: tuple[Declaration, ...] = ()
    if kept:
        masked = [" "] * len(text)
        for k, (a, b) in enumerate(kept):
            masked[a:b] = text[a:b]
            if k:
                masked[a - 1] = ","
        s = "".join(masked)
        s = re.sub(r"\\([A-Za-z]+)", _greek_in_where, s)
        try:
            declarations = parse_declarations(s)
        except MatdiffError as e:
            e.text = text
            raise
    return declarations, slice_decls


def _greek_in_where(m: re.Match) -> str:
    """``\\lambda`` -> `` lambda`` (right-aligned, so that offsets do not move)."""
    name = GREEK.get(m.group(1))
    if name is None:
        return m.group()
    return name.rjust(len(m.group()))


def _top_colon(seg: str) -> int:
    depth = 0
    for i, ch in enumerate(seg):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == ":" and depth == 0:
            return i
    return -1


def _latex_name(text: str, start: int, end: int) -> str:
    """A name written in LaTeX (``U``, ``\\mathbf{U}``, ``\\Omega``, ``\\mathrm{Wt}``)."""
    toks = [t for t in tokenize_latex(text, start, end) if t.kind != "eof"]
    styles = STRIP_STYLES | WORD_STYLES
    core = [t for t in toks if not (t.kind == "cmd" and t.text in styles)
            and not (t.kind == "sym" and t.text in "{}")]
    if core and all(t.kind == "letter" for t in core):
        return "".join(_letter_name(t.text) for t in core)
    if len(core) == 1 and core[0].kind == "cmd" and core[0].text in GREEK:
        return GREEK[core[0].text]
    raise MatdiffSyntaxError("expected the name of a matrix", start, text)


def _slice_lhs(text: str, start: int, end: int) -> tuple[str, str, str, int]:
    """``u_i`` -> ("u", "_", "i", offset of i); ``W^{j'}`` -> ("W", "^", "j'", ...)."""
    toks = [t for t in tokenize_latex(text, start, end) if t.kind != "eof"]
    split = next((k for k, t in enumerate(toks) if t.kind == "sym" and t.text in "_^"), None)
    if split is None or split == 0 or split == len(toks) - 1:
        raise MatdiffSyntaxError("expected an indexed name such as u_i or W^{j}",
                                 toks[0].start if toks else start, text)
    base = _latex_name(text, toks[0].start, toks[split - 1].end)
    rest = toks[split + 1:]
    index = ""
    for t in rest:
        if t.kind == "letter" and not index:
            index = t.text
        elif (t.kind == "sym" and t.text == "'") or (t.kind == "cmd" and t.text == "prime"):
            index += "'"
        elif t.kind == "sym" and t.text in "{}":
            continue
        else:
            raise MatdiffSyntaxError("expected one index letter (as in u_i or W^{j'})",
                                     t.start, text)
    if not index:
        raise MatdiffSyntaxError("expected an index letter", rest[0].start, text)
    return base, toks[split].text, index, rest[0].start


def _letter_name(ch: str) -> str:
    return _UNICODE_NAMES.get(ch, ch)


# ---------------------------------------------------------------------------------------
# The parser
# ---------------------------------------------------------------------------------------


def _widen(node: Node, span: Span) -> Node:
    return dataclasses.replace(node, span=span)


def _describe(t: Tok) -> str:
    if t.kind == "eof":
        return "the end of the formula"
    if t.kind == "cmd":
        return f"'\\{t.text}'"
    return repr(t.text)


@dataclass
class _Script:
    a: int  # token range of the argument, braces excluded
    b: int
    span: Span  # the argument's text, braces included


class _Parser:
    def __init__(self, text: str, start: int, end: int, slice_decls: dict, declared: set[str]):
        self.text = text
        self.toks = tokenize_latex(text, start, end)
        self.i = 0
        self.limits: list[int] = []
        self.bound: list[tuple[str, ...]] = []
        self.bar_depth = 0
        self.slice_decls = slice_decls
        self.declared = declared
        self.notes: list[str] = []
        self.used_decls: set = set()

    # -- tokens
    def peek(self, k: int = 0) -> Tok:
        j = self.i + k
        limit = self.limits[-1] if self.limits else len(self.toks) - 1
        if j >= limit:
            at = self.toks[limit].start
            return Tok("eof", "", at, at)
        return self.toks[j]

    def next(self) -> Tok:
        t = self.peek()
        if t.kind != "eof":
            self.i += 1
        return t

    def at(self, kind: str, text: str | None = None, k: int = 0) -> bool:
        t = self.peek(k)
        return t.kind == kind and (text is None or t.text == text)

    def error(self, message: str, position: int) -> NoReturn:
        raise MatdiffSyntaxError(message, position, self.text)

    def unsupported_cmd(self, t: Tok) -> NoReturn:
        self.error(f"unsupported LaTeX command \\{t.text}", t.start)

    def split_num(self) -> None:
        """Make the current number token a single digit (LaTeX arguments are one token)."""
        t = self.toks[self.i]
        if t.kind == "num" and len(t.text) > 1:
            first = Tok("num", t.text[0], t.start, t.start + 1)
            rest = Tok("num", t.text[1:], t.start + 1, t.end)
            if rest.text.startswith("."):
                self.error("a one-token argument cannot be a decimal number; use braces",
                           t.start)
            self.toks[self.i:self.i + 1] = [first, rest]
            self.limits = [lim + 1 if lim > self.i else lim for lim in self.limits]

    def matching_brace(self, open_index: int) -> int:
        depth = 0
        for k in range(open_index, len(self.toks) - 1):
            t = self.toks[k]
            if t.kind == "sym" and t.text == "{":
                depth += 1
            elif t.kind == "sym" and t.text == "}":
                depth -= 1
                if depth == 0:
                    return k
        self.error("unbalanced '{': no matching '}'", self.toks[open_index].start)

    def parse_range(self, a: int, b: int, what) -> Node:
        """Parse tokens [a, b) with ``what`` (a method), requiring all of them."""
        saved = self.i
        self.i = a
        self.limits.append(b)
        try:
            node = what()
            if self.i < b:
                self.unexpected_after()
        finally:
            self.limits.pop()
        self.i = max(b, saved)
        return node

    def unexpected_after(self) -> NoReturn:
        t = self.peek()
        if t.kind == "cmd" and t.text == "right":
            self.error("'\\right' without a matching '\\left'", t.start)
        if t.kind in ("sym", "cmd") and (t.kind, t.text) in CLOSERS:
            self.error(f"unbalanced {_describe(t)}: nothing to close", t.start)
        if t.kind == "sym" and t.text == "&":
            self.error("alignment '&' is not part of a formula; give one formula", t.start)
        if t.kind == "cmd" and t.text == "\\":
            self.error("a line break '\\\\' is not part of a formula; give one formula", t.start)
        if t.kind == "sym" and t.text in "=<>":
            self.error(f"unexpected {_describe(t)}: give the formula alone", t.start)
        if t.kind == "cmd" and t.text not in OPENERS and t.text not in PRODUCT_CMDS:
            self.unsupported_cmd(t)
        self.error(f"unexpected {_describe(t)}", t.start)

    # -- entry point
    def parse_top(self) -> Node:
        toks = self.toks
        # \[ .. \], \( .. \), \begin{equation} .. \end{equation}
        if len(toks) > 1 and toks[0].kind == "cmd" and toks[0].text in ("[", "("):
            closing = "]" if toks[0].text == "[" else ")"
            if toks[-2].kind == "cmd" and toks[-2].text == closing:
                del toks[-2]
            del toks[0]
        if toks[0].kind == "cmd" and toks[0].text == "begin" and len(toks) > 2:
            close = self.matching_brace(1) if toks[1].text == "{" else 0
            del toks[:close + 1]
            for k in range(len(toks) - 2, -1, -1):
                if toks[k].kind == "cmd" and toks[k].text == "end":
                    del toks[k:-1]
                    break
        if toks[0].kind == "eof":
            self.error("empty formula", toks[0].start)
        self.skip_left_hand_side()
        node = self.expr()
        while self.peek().kind == "sym" and self.peek().text in ",.;":
            self.next()
        if self.peek().kind != "eof":
            self.unexpected_after()
        return node

    def skip_left_hand_side(self) -> None:
        """``F(U, V) = ...``, ``L := ...``: read what follows the one top-level '='."""
        depth, equals = 0, []
        for k, t in enumerate(self.toks):
            if t.kind == "sym" and t.text in "({[":
                depth += 1
            elif t.kind == "sym" and t.text in ")}]":
                depth -= 1
            elif depth == 0 and (t.kind == "sym" and t.text == "="
                                 or t.kind == "cmd" and t.text in EQUALS_CMDS):
                equals.append(k)
        if not equals:
            return
        if len(equals) > 1:
            self.error("more than one '=': give the function alone (or 'f = formula')",
                       self.toks[equals[1]].start)
        k = equals[0]
        if self.toks[k].kind == "cmd" and self.toks[k].text == "stackrel":
            self.error("unsupported LaTeX command \\stackrel", self.toks[k].start)
        if k == 0:
            self.error("expected a formula before '='", self.toks[k].start)
        lhs = self.text[self.toks[0].start:self.toks[k].start].strip()
        if lhs.endswith(":"):
            lhs = lhs[:-1].strip()
        self.notes.append(f"read the right-hand side of '{lhs} = ...'")
        self.i = k + 1

    # -- expressions
    def expr(self) -> Node:
        left = self.term()
        while True:
            t = self.peek()
            if t.kind == "sym" and t.text in "+-":
                self.next()
                right = self.term()
                left = Binary(t.text, left, right, Span(left.span.start, right.span.end),
                              Span(t.start, t.end))
            elif t.kind == "cmd" and t.text in ("pm", "mp"):
                self.unsupported_cmd(t)
            else:
                return left

    def product_op(self, t: Tok) -> str | None:
        if t.kind == "sym" and t.text in ("*", "/"):
            return t.text
        if t.kind == "cmd" and t.text in PRODUCT_CMDS:
            return PRODUCT_CMDS[t.text]
        return None

    def term(self) -> Node:
        left = self.unary()
        while True:
            t = self.peek()
            op = self.product_op(t)
            if op:
                self.next()
                nxt = self.peek()
                if not (self.starts_atom(nxt) or nxt.kind == "sym" and nxt.text in "+-"):
                    self.placeholder_error(t)
                right = self.unary()
                span = Span(left.span.start, right.span.end)
                if op == "kron":
                    left = Call("kron", (left, right), span, Span(t.start, t.end))
                else:
                    left = Binary(op, left, right, span, Span(t.start, t.end))
            elif self.starts_atom(t):
                right = self.factor()
                left = Binary("*", left, right, Span(left.span.start, right.span.end),
                              Span(right.span.start, right.span.start))
            else:
                return left

    def placeholder_error(self, t: Tok) -> NoReturn:
        if t.kind == "cmd" and t.text == "cdot":
            self.error("'\\cdot' needs an operand on each side (in '\\| \\cdot \\|' it stands "
                       "for an argument: write the expression there)", t.start)
        self.error(f"expected an operand after {_describe(t)}", self.peek().start)

    def unary(self) -> Node:
        t = self.peek()
        if t.kind == "sym" and t.text in "+-":
            self.next()
            operand = self.unary()
            return Unary(t.text, operand, Span(t.start, operand.span.end))
        return self.factor()

    def starts_atom(self, t: Tok) -> bool:
        if t.kind in ("letter", "num"):
            return True
        if t.kind == "sym":
            if t.text in "([{":
                return True
            if t.text in ("|", "||"):
                return self.bar_depth == 0
            return False
        if t.kind == "cmd":
            if t.text in ("|", "Vert", "vert"):
                return self.bar_depth == 0
            if t.text in SIZES_EITHER:
                d = self.peek(1)
                kind = OPENERS.get((d.kind, d.text))
                if kind in BARS:
                    return self.bar_depth == 0
                return kind is not None and (d.kind, d.text) not in CLOSERS
            return not (t.text in PRODUCT_CMDS or t.text in SIZES_CLOSE
                        or t.text in NOT_OPERANDS or t.text in EQUALS_CMDS)
        return False

    def factor(self) -> Node:
        t = self.peek()
        if t.kind == "cmd" and t.text in ("sum", "prod"):
            if t.text == "prod":
                self.unsupported_cmd(t)
            return self.index_sum()
        return self.atom()

    # -- atoms
    def atom(self) -> Node:
        t = self.peek()
        if t.kind == "letter":
            return self.letters()
        if t.kind == "num":
            self.next()
            node = Number(Fraction(t.text), t.text, Span(t.start, t.end))
            return self.postfix(node)
        if t.kind == "sym":
            if (t.kind, t.text) in OPENERS and (t.text not in BARS or self.bar_depth == 0):
                return self.delimited()
            self.expected_operand(t)
        if t.kind == "eof":
            self.expected_operand(t)
        return self.command()

    def expected_operand(self, t: Tok) -> NoReturn:
        if t.kind == "eof":
            self.error("expected an operand at the end of the formula", t.start)
        if t.kind == "sym" and t.text in "_^":
            self.error(f"bad {'subscript' if t.text == '_' else 'superscript'}: "
                       f"'{t.text}' must follow a name", t.start)
        if t.kind == "cmd" and t.text == "cdot":
            self.placeholder_error(t)
        if t.kind == "cmd" and t.text == "right":
            self.error("'\\right' without a matching '\\left'", t.start)
        if (t.kind, t.text) in CLOSERS:
            self.error(f"unbalanced {_describe(t)}: nothing to close", t.start)
        self.error(f"expected an operand, found {_describe(t)}", t.start)

    def command(self) -> Node:
        t = self.peek()
        name = t.text
        if name in GREEK:
            self.next()
            node = self.name_atom(GREEK[name], t.start, t.end)
            if name in ("sigma", "phi", "varphi", "psi") and self.opens_group(self.peek()):
                self.note_once(f"read \\{name}(...) as the scalar {GREEK[name]} times (...); for "
                               "the logistic function write \\operatorname{sigmoid}(...)")
            return node
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            self.next()
            num = self.argument()
            den = self.argument()
            node = Binary("/", num, den, Span(t.start, den.span.end),
                          Span(t.start, t.end))
            return self.postfix(node)
        if name == "sqrt":
            self.next()
            if self.at("sym", "["):
                self.error("unsupported: a root other than the square root", self.peek().start)
            arg = self.argument()
            return self.postfix(Call("sqrt", (arg,), Span(t.start, arg.span.end),
                                      Span(t.start, t.end)))
        if name in FUNCTION_CMDS:
            self.next()
            return self.function(FUNCTION_CMDS[name], t.start, Span(t.start, t.end))
        if name in STRIP_STYLES:
            self.next()
            return self.styled(t)
        if name in WORD_STYLES:
            self.next()
            return self.word(t)
        if name in ACCENTS:
            self.next()
            return self.accent(t)
        if name == "mathbb":
            self.next()
            return self.blackboard(t)
        if name in ("color", "textcolor"):
            self.next()
            self.skip_group()
            if name == "textcolor":
                return self.argument_atom()
            return self.factor()
        if name == "left" or name in SIZES_OPEN or name in SIZES_EITHER:
            return self.delimited()
        if (t.kind, name) in OPENERS:
            return self.delimited()
        if name == "sum":
            return self.index_sum()
        self.unsupported_cmd(t)

    def skip_group(self) -> None:
        if not self.at("sym", "{"):
            self.error("expected '{' here", self.peek().start)
        self.i = self.matching_brace(self.i) + 1

    def argument(self) -> Node:
        """A one-token argument (``\\frac1N``) or a braced group, as a node."""
        t = self.peek()
        if t.kind == "sym" and t.text == "{":
            close = self.matching_brace(self.i)
            node = self.parse_range(self.i + 1, close, self.expr)
            self.i = close + 1
            return _widen(node, Span(t.start, self.toks[close].end))
        return self.argument_atom()

    def argument_atom(self) -> Node:
        t = self.peek()
        if t.kind == "num":
            self.split_num()
            t = self.next()
            return Number(Fraction(t.text), t.text, Span(t.start, t.end))
        if t.kind == "letter":
            self.next()
            return Name(_letter_name(t.text), Span(t.start, t.end))
        if t.kind == "sym" and t.text == "{":
            return self.argument()
        if t.kind == "cmd" and t.text in GREEK:
            self.next()
            return Name(GREEK[t.text], Span(t.start, t.end))
        if t.kind == "cmd" and (t.text in STRIP_STYLES or t.text in WORD_STYLES):
            self.next()
            inner = self.argument()
            return _widen(inner, Span(t.start, inner.span.end))
        if t.kind == "eof":
            self.error("expected an argument at the end of the formula", t.start)
        if t.kind == "cmd" and t.text not in OPENERS:
            self.unsupported_cmd(t)
        self.error(f"expected an argument (a letter, a digit or a {{group}}), found "
                   f"{_describe(t)}", t.start)

    # -- names, subscripts, index uses
    def letters(self) -> Node:
        """A letter, or a run of letters spelling a function (``tr(``) or a Greek name."""
        t = self.peek()
        run = [t]
        k = 1
        while self.peek(k).kind == "letter" and self.peek(k).start == run[-1].end:
            run.append(self.peek(k))
            k += 1
        word = "".join(x.text for x in run)
        after = self.peek(k)
        if len(run) > 1 and word in BARE_FUNCTIONS and (
                (after.kind, after.text) in OPENERS and after.text not in BARS
                or after.kind == "cmd" and after.text in ("left", *SIZES_OPEN, *SIZES_EITHER)):
            self.i += k
            return self.function(FUNCTION_WORDS[word], t.start, Span(t.start, run[-1].end))
        if len(run) >= 3 and word in GREEK and word not in self.declared:
            self.i += k
            self.notes.append(f"read the letters {word} as the Greek letter \\{word}")
            return self.name_atom(GREEK[word], t.start, run[-1].end)
        self.next()
        return self.name_atom(_letter_name(t.text), t.start, t.end, letter=True)

    def name_atom(self, base: str, start: int, end: int, letter: bool = False) -> Node:
        """A name with its scripts: a subscripted name, an index use, e^{..}, I, ..."""
        if base == "e" and self.at("sym", "^") and "e" not in self.declared:
            script_at = self.i
            self.next()
            sc = self.script()
            if not self.is_transpose(sc) and not self.is_neg_transpose(sc):
                power = self.parse_range(sc.a, sc.b, self.expr)
                self.notes.append(f"read {self.text[start:sc.span.end]} as exp({to_plain(power)})")
                node = Call("exp", (power,), Span(start, sc.span.end), Span(start, end))
                return self.postfix(node)
            self.i = script_at
        sub: _Script | None = None
        sup: _Script | None = None
        sup_at = self.i
        while self.at("sym", "_") or (self.at("sym", "^") and sup is None):
            s = self.next()
            if s.text == "_":
                if sub is not None:
                    self.error("bad subscript: a second subscript (use braces)", s.start)
                sub = self.script("subscript")
            else:
                sup_at = self.i - 1
                sup = self.script("superscript")
        stop = self.i
        written_end = max(end, sub.span.end if sub else end, sup.span.end if sup else end)
        bound = {ix for level in self.bound for ix in level}

        node: Node | None = None
        sup_index = self.index_script(sup) if sup is not None else None
        if sup is not None and sup_index is not None and sup_index in bound:
            if sub is not None:
                self.error("unsupported: an index both above and below a name", sub.span.start)
            node = self.superscript_slice(base, start, written_end, sup_index, sup)
            sup = None
        if sub is not None and node is None:
            node = self.subscripted(base, start, end, sub, bound, sup)
            m = re.fullmatch(r"I_([A-Za-z]|[1-9][0-9]*)", getattr(node, "name", ""))
            if isinstance(node, Name) and m and node.name not in self.declared:
                size = m.group(1)
                arg: Node = (Number(Fraction(int(size)), size, sub.span) if size.isdigit()
                             else Name(size, sub.span))
                node = Call("eye", (arg,), node.span, Span(start, end))
                self.note_once(f"read {self.text[start:sub.span.end]} as the identity eye({size})")
        if node is None:
            if base == "I" and letter and "I" not in self.declared:
                node = Name("eye", Span(start, end))
                self.note_once("read I as the identity matrix")
            else:
                node = Name(base, Span(start, end))
        if sup is not None:
            # the superscript applies to the (possibly subscripted) name: transpose or power
            self.i = sup_at
            node = self.apply_superscript(node)
            self.i = max(self.i, stop)
        return self.postfix(node)

    def note_once(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def script(self, what: str = "superscript") -> _Script:
        """The argument after '_' or '^' (consumed): a one-token argument or a group."""
        t = self.peek()
        if t.kind == "sym" and t.text == "{":
            open_index = self.i
            close = self.matching_brace(open_index)
            self.i = close + 1
            return _Script(open_index + 1, close, Span(t.start, self.toks[close].end))
        if t.kind == "num":
            self.split_num()
            t = self.next()
            return _Script(self.i - 1, self.i, Span(t.start, t.end))
        if t.kind == "cmd" and (t.text in WORD_STYLES or t.text in STRIP_STYLES):
            a = self.i
            self.next()
            if self.at("sym", "{"):
                close = self.matching_brace(self.i)
                self.i = close + 1
            else:
                self.next()
            return _Script(a, self.i, Span(t.start, self.toks[self.i - 1].end))
        if t.kind in ("letter", "cmd") and not (t.kind == "cmd" and (t.kind, t.text) in CLOSERS
                                                 and t.text not in ("|",)):
            self.next()
            return _Script(self.i - 1, self.i, Span(t.start, t.end))
        if t.kind == "sym" and t.text in ("'", "*", "+", "-"):
            self.next()
            return _Script(self.i - 1, self.i, Span(t.start, t.end))
        self.error(f"bad {what}: expected a letter, a digit or a {{group}} after "
                   f"'{'_' if what == 'subscript' else '^'}', found {_describe(t)}", t.start)

    def script_tokens(self, sc: _Script) -> list[Tok]:
        return self.toks[sc.a:sc.b]

    def core_tokens(self, sc: _Script) -> list[Tok]:
        """The script's tokens without style commands and braces."""
        return [t for t in self.script_tokens(sc)
                if not (t.kind == "cmd" and (t.text in WORD_STYLES or t.text in STRIP_STYLES
                                              or t.text in ("rm", "sf", "bf")))
                and not (t.kind == "sym" and t.text in "{}")]

    def is_transpose(self, sc: _Script) -> bool:
        core = self.core_tokens(sc)
        if len(core) != 1:
            return False
        t = core[0]
        return (t.kind == "letter" and t.text == "T" or t.kind == "cmd"
                and t.text in ("top", "intercal", "prime", "mathsf") or t.kind == "sym"
                and t.text == "'")

    def is_neg_transpose(self, sc: _Script) -> bool:
        core = self.core_tokens(sc)
        return (len(core) == 2 and core[0].kind == "sym" and core[0].text == "-"
                and (core[1].kind == "letter" and core[1].text == "T"
                     or core[1].kind == "cmd" and core[1].text in ("top", "intercal")))

    def index_script(self, sc: _Script) -> str | None:
        """``j``, ``{j'}``, ``j^\\prime`` as an index name, else None."""
        core = [t for t in self.script_tokens(sc) if not (t.kind == "sym" and t.text in "{}")]
        if not core or core[0].kind != "letter":
            return None
        name = core[0].text
        for t in core[1:]:
            if t.kind == "sym" and t.text == "'" or t.kind == "cmd" and t.text == "prime":
                name += "'"
            else:
                return None
        return name

    def subscript_parts(self, sc: _Script) -> list[tuple[str, str, int]]:
        """A name's subscript as parts (kind, text, offset): kinds ``idx`` (a letter with
        primes), ``num``, ``word``, ``comma``, ``colon``.  Anything else is a bad
        subscript."""
        parts: list[tuple[str, str, int]] = []
        toks = self.script_tokens(sc)
        k = 0
        while k < len(toks):
            t = toks[k]
            if t.kind == "letter":
                parts.append(("idx", t.text, t.start))
            elif t.kind == "num":
                parts.append(("num", t.text, t.start))
            elif t.kind == "cmd" and t.text in GREEK:
                parts.append(("word", GREEK[t.text], t.start))
            elif t.kind == "cmd" and t.text in ("max", "min", "opt", "old", "new"):
                parts.append(("word", t.text, t.start))
            elif t.kind == "cmd" and (t.text in WORD_STYLES or t.text in STRIP_STYLES):
                pass
            elif (t.kind == "sym" and t.text == "'" or t.kind == "cmd" and t.text == "prime") \
                    and parts and parts[-1][0] == "idx":
                kind, txt, at = parts[-1]
                parts[-1] = (kind, txt + "'", at)
            elif t.kind == "sym" and t.text in "{}":
                pass
            elif t.kind == "sym" and t.text == ",":
                parts.append(("comma", ",", t.start))
            elif t.kind == "sym" and t.text == ":" or t.kind == "cmd" and t.text == "colon":
                parts.append(("colon", ":", t.start))
            else:
                what = _describe(t)
                self.error(f"bad subscript: unexpected {what} (a subscript is a name, a number "
                           "or summation indices)", t.start)
            k += 1
        if not parts:
            self.error("bad subscript: it is empty", sc.span.start)
        return parts

    def subscripted(self, base: str, start: int, end: int, sub: _Script, bound: set[str],
                    sup: _Script | None) -> Node:
        parts = self.subscript_parts(sub)
        written = self.text[start:sub.span.end]
        indices = [p for p in parts if p[0] == "idx"]
        colons = [p for p in parts if p[0] == "colon"]
        decl = self.slice_decls.get((base, "_"))
        uses_bound = any(p[1] in bound for p in indices)
        span = Span(start, sub.span.end)
        if decl is not None and indices or uses_bound or colons:
            for kind, txt, at in indices:
                if txt not in bound:
                    if decl is not None:
                        self.error(f"{written} is {_what(decl)}, but {txt} is not bound by a "
                                   "sum here", at)
                    self.error(f"bad subscript: the index {txt} is not bound by a sum here", at)
            if colons:
                shape = [p[0] for p in parts if p[0] != "comma"]
                if shape == ["colon", "idx"]:
                    return Slice(base, "col", (indices[0][1],), span, written)
                if shape == ["idx", "colon"]:
                    return Slice(base, "row", (indices[0][1],), span, written)
                self.error("bad subscript: expected W_{:,j} or W_{i,:}", colons[0][2])
            others = [p for p in parts if p[0] in ("num", "word")]
            if others:
                self.error("bad subscript: mixes summation indices with other labels",
                           others[0][2])
            if decl is not None:
                if len(indices) != 1:
                    self.error(f"{base}_{{..}} is {_what(decl)}: it takes one index",
                               sub.span.start)
                return Slice(decl.target, decl.kind, (indices[0][1],), span, written)
            if len(indices) == 1:
                if base[:1].isupper() and base not in self.declared:
                    self.error(
                        f"say what {written} is: in the where clause write "
                        f"'{written}: column {indices[0][1]} of {base}' (or row), or write "
                        f"{base}_{{:,{indices[0][1]}}}", start)
                self.note_once(f"read {written} as entry {indices[0][1]} of the vector {base}")
                return Slice(base, "entry", (indices[0][1],), span, written)
            if len(indices) == 2:
                return Slice(base, "entry", (indices[0][1], indices[1][1]), span, written)
            self.error("unsupported: more than two indices", indices[2][2])
        # an ordinary subscripted name
        pieces = []
        for kind, txt, at in parts:
            if kind == "colon":
                self.error("bad subscript: ':' outside a sum", at)
            pieces.append("_" if kind == "comma" else txt.replace("'", "p"))
        return Name(f"{base}_{''.join(pieces)}", span)

    def superscript_slice(self, base: str, start: int, end: int, index: str,
                          sup: _Script) -> Node:
        written = self.text[start:end]
        span = Span(start, end)
        decl = self.slice_decls.get((base, "^"))
        if decl is not None:
            return Slice(decl.target, decl.kind, (index,), span, written)
        if base[:1].isupper():
            self.note_once(f"read {written} as column {index} of {base}")
            return Slice(base, "col", (index,), span, written)
        self.error(f"say what {written} is: in the where clause write '{written}: column "
                   f"{index} of {base.upper()}' (or row)", sup.span.start)

    # -- postfix: superscripts, primes
    def apply_superscript(self, node: Node) -> Node:
        """At '^': transpose, inverse (-transpose), or a power."""
        hat = self.next()
        sc = self.script()
        end = sc.span.end
        if self.is_transpose(sc):
            return Transpose(node, Span(node.span.start, end), Span(hat.start, end))
        if self.is_neg_transpose(sc):
            inv = Binary("^", node, Unary("-", Number(Fraction(1), "1", sc.span), sc.span),
                         Span(node.span.start, end), Span(hat.start, hat.end))
            return Transpose(inv, Span(node.span.start, end), Span(hat.start, end))
        core = self.core_tokens(sc)
        if len(core) == 1 and (core[0].kind == "sym" and core[0].text == "*"
                               or core[0].kind == "cmd" and core[0].text in ("dagger", "ast",
                                                                            "star", "H")):
            self.error("unsupported superscript (adjoint or pseudo-inverse)", core[0].start)
        power = self.parse_range(sc.a, sc.b, self.expr)
        return Binary("^", node, power, Span(node.span.start, end), Span(hat.start, hat.end))

    def postfix(self, node: Node) -> Node:
        seen_power = False
        while True:
            t = self.peek()
            if t.kind == "sym" and t.text == "'":
                self.next()
                node = Transpose(node, Span(node.span.start, t.end), Span(t.start, t.end))
            elif t.kind == "sym" and t.text == "^":
                if seen_power:
                    self.error("double superscript (use braces)", t.start)
                seen_power = True
                node = self.apply_superscript(node)
            elif t.kind == "sym" and t.text == "_":
                node = self.expression_entry(node, t)
            else:
                return node

    def expression_entry(self, node: Node, underscore: Tok) -> Node:
        """``(UV^T)_{ij}`` inside a sum over i and j: an entry of a bracketed expression."""
        bound = {ix for level in self.bound for ix in level}
        if not bound:
            self.error("bad subscript: a subscript can only follow a name, a norm or \\sum "
                       "(or, inside a sum, a bracketed matrix: (AB)_{ij})", underscore.start)
        self.next()
        sc = self.script("subscript")
        parts = self.subscript_parts(sc)
        indices = [p for p in parts if p[0] == "idx"]
        for kind, txt, at in parts:
            if kind not in ("idx", "comma"):
                self.error("bad subscript: an entry of an expression takes summation indices",
                           at)
            if kind == "idx" and txt not in bound:
                self.error(f"bad subscript: the index {txt} is not bound by a sum here", at)
        if not 1 <= len(indices) <= 2:
            self.error("bad subscript: one or two indices", sc.span.start)
        from .syntax import has_index_nodes

        if has_index_nodes(node):
            self.error("unsupported: an entry of an expression that itself uses the indices",
                       underscore.start)
        span = Span(node.span.start, sc.span.end)
        written = self.text[span.start:span.end]
        return Slice(to_plain(node), "entry", tuple(p[1] for p in indices), span, written,
                     expr=node)

    # -- styles, words, accents
    def styled(self, cmd: Tok) -> Node:
        """\\mathbf and friends: a name stays a name (scripts attach to it); \\mathbf{1} is
        the all-ones vector; anything else is a group."""
        t = self.peek()
        if t.kind == "sym" and t.text == "{":
            close = self.matching_brace(self.i)
            inner = self.toks[self.i + 1:close]
            if len(inner) == 1 and self.simple_name_token(inner[0]):
                self.i = close + 1
                return self.styled_name(inner[0], cmd.start, self.toks[close].end)
            if len(inner) == 1 and inner[0].kind == "num" and inner[0].text in ("0", "1"):
                self.i = close + 1
                return self.constant(inner[0].text, cmd.start, self.toks[close].end)
            node = self.parse_range(self.i + 1, close, self.expr)
            self.i = close + 1
            return self.postfix(_widen(node, Span(cmd.start, self.toks[close].end)))
        if self.simple_name_token(t):
            self.next()
            return self.styled_name(t, cmd.start, t.end)
        if t.kind == "num" and t.text[0] in "01":
            self.split_num()
            t = self.next()
            return self.constant(t.text, cmd.start, t.end)
        if t.kind == "cmd" and t.text in STRIP_STYLES:
            self.next()
            return self.styled(t)
        self.error(f"expected a letter or a {{group}} after \\{cmd.text}", t.start)

    def simple_name_token(self, t: Tok) -> bool:
        return t.kind == "letter" or t.kind == "cmd" and t.text in GREEK

    def styled_name(self, t: Tok, start: int, end: int) -> Node:
        base = _letter_name(t.text) if t.kind == "letter" else GREEK[t.text]
        if base == "I" and "I" not in self.declared and not self.at("sym", "_"):
            self.note_once("read I as the identity matrix")
            return self.postfix(Name("eye", Span(start, end)))
        return self.name_atom(base, start, end)

    def constant(self, digit: str, start: int, end: int) -> Node:
        name = "ones" if digit == "1" else "zeros"
        self.note_once(f"read a bold {digit} as {name}, the all-{name} vector")
        return self.postfix(Name(name, Span(start, end)))

    def blackboard(self, cmd: Tok) -> Node:
        t = self.peek()
        if t.kind == "sym" and t.text == "{":
            close = self.matching_brace(self.i)
            inner = self.toks[self.i + 1:close]
            end = self.toks[close].end
            nxt = close + 1
        else:
            inner, end, nxt = [t], t.end, self.i + 1
        content = "".join(x.text for x in inner)
        if content == "1":
            self.i = nxt
            return self.constant("1", cmd.start, end)
        if content == "I":
            self.i = nxt
            self.note_once("read I as the identity matrix")
            return self.postfix(Name("eye", Span(cmd.start, end)))
        self.error(f"unsupported LaTeX command \\mathbb{{{content}}}", cmd.start)

    def word(self, cmd: Tok) -> Node:
        """\\mathrm, \\text, \\operatorname, ...: a function, a letter, a multi-letter name,
        or (when the content is not a word) a group."""
        if self.at("sym", "*"):  # \operatorname*
            self.next()
        t = self.peek()
        if t.kind == "sym" and t.text == "{":
            close = self.matching_brace(self.i)
            inner = self.toks[self.i + 1:close]
            end = self.toks[close].end
            nxt = close + 1
        elif t.kind in ("letter", "num") or t.kind == "cmd" and t.text in GREEK:
            if t.kind == "num":
                self.split_num()
                t = self.peek()
            inner, end, nxt = [t], t.end, self.i + 1
        else:
            self.error(f"expected a letter or a {{group}} after \\{cmd.text}", t.start)
        if inner and all(x.kind == "letter" for x in inner) and all(
                inner[k].end == inner[k + 1].start for k in range(len(inner) - 1)):
            word = "".join(x.text for x in inner)
            self.i = nxt
            if word in FUNCTION_WORDS:
                return self.function(FUNCTION_WORDS[word], cmd.start, Span(cmd.start, end))
            if word in ("max", "min", "argmax", "argmin", "rank", "arg", "sup", "inf", "E",
                        "Var", "Cov", "prox", "dom", "lim") and len(word) > 1:
                self.error(f"unsupported function {word}", cmd.start)
            if word == "d":
                self.error("unsupported: a differential 'd' (give the function itself)",
                           cmd.start)
            if word == "e" and self.at("sym", "^"):
                return self.name_atom("e", cmd.start, end)
            if len(word) == 1:
                return self.name_atom(_letter_name(word), cmd.start, end, letter=True)
            return self.name_atom(word, cmd.start, end)
        if len(inner) == 1 and inner[0].kind == "cmd" and inner[0].text in GREEK:
            self.i = nxt
            return self.name_atom(GREEK[inner[0].text], cmd.start, end)
        if t.kind == "sym" and t.text == "{":
            node = self.parse_range(self.i + 1, close, self.expr)
            self.i = nxt
            return self.postfix(_widen(node, Span(cmd.start, end)))
        node = self.parse_range(self.i, nxt, self.atom)
        self.i = nxt
        return self.postfix(node)

    def accent(self, cmd: Tok) -> Node:
        t = self.peek()
        if t.kind == "sym" and t.text == "{":
            close = self.matching_brace(self.i)
            inner = self.toks[self.i + 1:close]
            end, nxt = self.toks[close].end, close + 1
        else:
            inner, end, nxt = [t], t.end, self.i + 1
        core = [x for x in inner if not (x.kind == "cmd" and (x.text in STRIP_STYLES
                                                               or x.text in WORD_STYLES))
                and not (x.kind == "sym" and x.text in "{}")]
        if len(core) == 1 and self.simple_name_token(core[0]):
            self.i = nxt
            base = _letter_name(core[0].text) if core[0].kind == "letter" else GREEK[core[0].text]
            return self.name_atom(f"{base}_{ACCENTS[cmd.text]}", cmd.start, end)
        self.error(f"unsupported: \\{cmd.text} over something other than a letter", cmd.start)

    # -- functions
    def function(self, func: str, start: int, fspan: Span) -> Node:
        power: Node | None = None
        if self.at("sym", "^"):
            self.next()
            sc = self.script()
            if self.is_transpose(sc):
                self.error("a transpose of a function name; put it after the argument",
                           sc.span.start)
            power = self.parse_range(sc.a, sc.b, self.expr)
        if self.at("sym", "_"):
            self.error(f"unsupported: a subscript on the function {func}", self.peek().start)
        t = self.peek()
        if self.opens_group(t):
            arg = self.delimited(postfix=False)
            node: Node = Call(func, (arg,), Span(start, arg.span.end), fspan)
            node = self.postfix(node)
        else:
            if not self.starts_atom(t):
                if t.kind == "sym" and t.text in "+-":
                    arg = self.unary()
                    node = Call(func, (arg,), Span(start, arg.span.end), fspan)
                    return self._power(node, power)
                self.error(f"expected the argument of {func}", t.start)
            arg = self.factor()
            while self.starts_atom(self.peek()) and not self.function_start(self.peek()):
                right = self.factor()
                arg = Binary("*", arg, right, Span(arg.span.start, right.span.end),
                             Span(right.span.start, right.span.start))
            node = Call(func, (arg,), Span(start, arg.span.end), fspan)
        return self._power(node, power)

    def _power(self, node: Node, power: Node | None) -> Node:
        if power is None:
            return node
        return Binary("^", node, power, Span(node.span.start, node.span.end),
                      Span(node.span.start, node.span.start))

    def opens_group(self, t: Tok) -> bool:
        if t.kind == "cmd" and (t.text == "left" or t.text in SIZES_OPEN):
            return True
        if t.kind == "cmd" and t.text in SIZES_EITHER:
            d = self.peek(1)
            return OPENERS.get((d.kind, d.text)) in ("(", "[", "\\{")
        return OPENERS.get((t.kind, t.text)) in ("(", "[", "\\{")

    def function_start(self, t: Tok) -> bool:
        return t.kind == "cmd" and (t.text in FUNCTION_CMDS or t.text in ("sum", "sqrt")
                                    or t.text in WORD_STYLES and self.word_is_function())

    def word_is_function(self) -> bool:
        if not self.at("sym", "{", 1):
            return False
        k = self.i + 2
        word = ""
        while k < len(self.toks) and self.toks[k].kind == "letter":
            word += self.toks[k].text
            k += 1
        return word in FUNCTION_WORDS

    # -- brackets, bars, norms
    def delimited(self, postfix: bool = True) -> Node:
        first = self.peek()
        sized = None
        if first.kind == "cmd" and first.text == "left":
            self.next()
            sized = "left"
        elif first.kind == "cmd" and (first.text in SIZES_OPEN or first.text in SIZES_EITHER):
            self.next()
            sized = "big"
        d = self.peek()
        kind = OPENERS.get((d.kind, d.text))
        if kind is None:
            if d.kind == "sym" and d.text == "." and sized == "left":
                self.error("unsupported: an invisible delimiter \\left.", d.start)
            self.error(f"expected a delimiter after \\{first.text}, found {_describe(d)}",
                       d.start)
        if kind == "{" and sized:
            self.error("use \\{ for a brace after \\left", d.start)
        self.next()
        bars = kind in BARS and sized != "left"
        saved_bars = self.bar_depth
        # inside bare bars a bar closes; inside any other bracket a bar may open again
        self.bar_depth = 1 if bars else 0
        try:
            if kind in BARS and self.at("cmd", "cdot"):
                self.placeholder_error(self.peek())
            if kind == "<":
                a = self.expr()
                if not self.at("sym", ","):
                    self.error("expected ',' between the two sides of \\langle .. \\rangle",
                               self.peek().start)
                self.next()
                b = self.expr()
                inner: Node = Binary(".*", a, b, Span(a.span.start, b.span.end),
                                     Span(a.span.end, b.span.start))
            else:
                inner = self.expr()
        finally:
            self.bar_depth = saved_bars
        end = self.closer(kind, first, sized)
        span = Span(first.start, end)
        if kind in ("(", "[", "{", "\\{"):
            node = _widen(inner, span)
            return self.postfix(node) if postfix else node
        if kind == "<":
            node = Call("sum", (inner,), span, Span(first.start, first.end))
            return self.postfix(node)
        if kind == "|":
            return self.postfix(Call("abs", (inner,), span, Span(first.start, first.end)))
        return self.norm(inner, first, span)

    def closer(self, kind: str, first: Tok, sized: str | None) -> int:
        t = self.peek()
        if sized == "left":
            if not (t.kind == "cmd" and t.text == "right"):
                self.error(f"unbalanced \\left{OPEN_TEXT[kind]}: no matching "
                           f"\\right{CLOSE_TEXT[kind]}", first.start)
            self.next()
            d = self.peek()
            got = CLOSERS.get((d.kind, d.text))
            if got != kind:
                if d.kind == "sym" and d.text == ".":
                    self.error("unsupported: an invisible delimiter \\right.", d.start)
                self.error(f"\\right{d.text if d.kind == 'sym' else chr(92) + d.text} does not "
                           f"match \\left{OPEN_TEXT[kind]} at {first.start} (expected "
                           f"\\right{CLOSE_TEXT[kind]})", d.start)
            self.next()
            return d.end
        if t.kind == "cmd" and (t.text in SIZES_CLOSE or t.text in SIZES_EITHER):
            self.next()
            t = self.peek()
        got = CLOSERS.get((t.kind, t.text))
        if got == kind:
            self.next()
            return t.end
        if t.kind == "cmd" and t.text == "right":
            self.error("'\\right' without a matching '\\left'", t.start)
        self.error(f"unbalanced '{OPEN_TEXT[kind]}' at {first.start}: expected "
                   f"'{CLOSE_TEXT[kind]}', found {_describe(t)}", t.start)

    def norm(self, inner: Node, first: Tok, span: Span) -> Node:
        order: Node | None = None
        end = span.end
        sub_seen = sup_seen = False
        node: Node | None = None
        power: tuple[Node, Span] | None = None
        while self.at("sym", "_") or self.at("sym", "^"):
            s = self.next()
            if s.text == "_":
                if sub_seen:
                    self.error("bad subscript: a second subscript on a norm", s.start)
                sub_seen = True
                sc = self.script("subscript")
                order = self.norm_order(sc)
                end = max(end, sc.span.end)
            else:
                if sup_seen:
                    self.error("double superscript (use braces)", s.start)
                sup_seen = True
                sc = self.script()
                if self.is_transpose(sc):
                    self.error("a transpose of a norm (a scalar)", sc.span.start)
                power = (self.parse_range(sc.a, sc.b, self.expr), Span(s.start, s.end))
                end = max(end, sc.span.end)
        if isinstance(order, Number) and order.value == 1:
            node = Call("norm1", (inner,), span, Span(first.start, first.end))
            self.note_once("read a 1-norm ||.||_1 as norm1, the sum of the absolute values "
                           "of the entries")
        else:
            args = (inner,) if order is None else (inner, order)
            node = Call("norm", args, Span(span.start, span.end if power else end),
                        Span(first.start, first.end))
        if power is not None:
            node = Binary("^", node, power[0], Span(span.start, end), power[1])
        return self.postfix(node)

    def norm_order(self, sc: _Script) -> Node:
        core = self.core_tokens(sc)
        word = "".join(t.text for t in core if t.kind in ("letter", "num"))
        if core and all(t.kind in ("letter", "num") for t in core):
            if word.lower() in ("f", "fro", "frob", "frobenius"):
                return String("fro", sc.span)
            if word == "2":
                return Number(Fraction(2), "2", sc.span)
            if word == "1":
                return Number(Fraction(1), "1", sc.span)
        what = self.text[sc.span.start:sc.span.end]
        self.error(f"unsupported norm {what!s} (matdiff reads _F, _{{Fro}}, _2 and _1)",
                   sc.span.start)

    # -- sums
    def index_sum(self) -> Node:
        t = self.next()
        lower: _Script | None = None
        upper: _Script | None = None
        while self.at("sym", "_") or self.at("sym", "^"):
            s = self.next()
            sc = self.script("subscript" if s.text == "_" else "superscript")
            if s.text == "_":
                if lower is not None:
                    self.error("bad subscript: a second subscript on \\sum", s.start)
                lower = sc
            else:
                if upper is not None:
                    self.error("double superscript on \\sum", s.start)
                upper = sc
        if lower is None:
            self.error("\\sum needs its index below it, as in \\sum_{j=1}^{m}", t.start)
        indices, domain = self.sum_indices(lower)
        bound = {ix for level in self.bound for ix in level}
        for ix, at in indices:
            if ix in bound:
                self.error(f"the index {ix} is already bound by an enclosing sum", at)
        names = tuple(ix for ix, _ in indices)
        if len(set(names)) != len(names):
            self.error("the same index twice", indices[-1][1])
        self.bound.append(names)
        try:
            if self.peek().kind == "eof" or not (self.starts_atom(self.peek())
                                                  or self.at("sym", "-") or self.at("sym", "+")):
                self.error("expected the summand after \\sum", self.peek().start)
            body = self.term()
        finally:
            self.bound.pop()
        if isinstance(body, IndexSum) and body.domain is None and domain is None:
            names, body = names + body.indices, body.body
        span = Span(t.start, body.span.end)
        return IndexSum(names, domain, body, span, self.text[span.start:span.end])

    def sum_indices(self, sc: _Script) -> tuple[list[tuple[str, int]], Name | None]:
        toks = [t for t in self.script_tokens(sc)]
        k = 0

        def index_at(k: int) -> tuple[str, int, int]:
            t = toks[k] if k < len(toks) else None
            if t is None or t.kind != "letter":
                pos = t.start if t is not None else sc.span.end - 1
                self.error("bad summation index: expected a letter", pos)
            name, k2 = t.text, k + 1
            while k2 < len(toks) and (toks[k2].kind == "sym" and toks[k2].text == "'"
                                      or toks[k2].kind == "cmd" and toks[k2].text == "prime"):
                name += "'"
                k2 += 1
            return name, t.start, k2

        if toks and toks[0].kind == "sym" and toks[0].text == "(":
            i_name, i_at, k = index_at(1)
            if not (k < len(toks) and toks[k].kind == "sym" and toks[k].text == ","):
                self.error("expected ',' in (i, j)",
                           toks[k].start if k < len(toks) else sc.span.start)
            j_name, j_at, k = index_at(k + 1)
            if not (k < len(toks) and toks[k].kind == "sym" and toks[k].text == ")"):
                self.error("expected ')' to close (i, j)",
                           toks[k].start if k < len(toks) else sc.span.end)
            k += 1
            if not (k < len(toks) and toks[k].kind == "cmd" and toks[k].text == "in"):
                self.error("expected \\in and the set of (i, j)",
                           toks[k].start if k < len(toks) else sc.span.end)
            rest = [t for t in toks[k + 1:] if not (t.kind == "sym" and t.text in "{}")
                    and not (t.kind == "cmd" and (t.text in STRIP_STYLES or t.text in WORD_STYLES))]
            if len(rest) != 1 or not self.simple_name_token(rest[0]):
                pos = rest[0].start if rest else sc.span.end
                self.error("expected the name of the set of observed entries (as in "
                           "(i,j) \\in \\Omega)", pos)
            r = rest[0]
            dname = _letter_name(r.text) if r.kind == "letter" else GREEK[r.text]
            return [(i_name, i_at), (j_name, j_at)], Name(dname, Span(r.start, r.end))
        indices: list[tuple[str, int]] = []
        while k < len(toks):
            t = toks[k]
            if t.kind == "sym" and t.text in "{}":
                k += 1
                continue
            if t.kind == "sym" and t.text == ",":
                k += 1
                continue
            if t.kind == "sym" and t.text == "=":
                lower = [x for x in toks[k + 1:] if not (x.kind == "sym" and x.text in "{}")]
                if not (len(lower) == 1 and lower[0].kind == "num" and lower[0].text == "1"):
                    pos = lower[0].start if lower else t.end
                    self.error("unsupported: a sum that does not start at 1 (matdiff reads sums "
                               "over a whole range, 1 to its size)", pos)
                break
            if t.kind == "cmd" and t.text == "in":
                self.error("unsupported: a sum of one index over a set (use "
                           "\\sum_{(i,j) \\in \\Omega} for observed entries)", t.start)
            if t.kind != "letter":
                self.error(f"bad summation index: unexpected {_describe(t)}", t.start)
            name, at, k = index_at(k)
            indices.append((name, at))
        if not indices:
            self.error("bad summation index: none given", sc.span.start)
        return indices, None


def _what(decl: SliceDecl) -> str:
    return f"{'row' if decl.kind == 'row' else 'column'} {decl.index} of {decl.target}"


# ---------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------


def parse_latex(text: str, extra: tuple[Declaration, ...] = ()) -> Translated:
    """Read a LaTeX formula (with an optional ``where`` clause) into a syntax tree.

    ``extra`` are declarations given beside the text (the CLI's ``--declare``).  The
    result is a :class:`~matdiff.syntax.Parsed` (a :class:`Translated`, with ``plain``,
    the formula in the plain language, and ``notes``, how it was read).

    >>> parse_latex(r"\\frac1N \\left\\|XW-Y\\right\\|_{\\text{F}}^2").plain
    "1/N*norm(X*W - Y, 'fro')^2"
    """
    try:
        return _parse_latex(text, extra)
    except RecursionError:
        raise MatdiffSyntaxError("formula nested too deeply", 0, text) from None
    except MatdiffError as e:
        e.text = text
        raise


def _parse_latex(text: str, extra: tuple[Declaration, ...]) -> Translated:
    expr, declarations, notes = read_index_tree(text, extra)
    res = resolve(expr, declarations, text, tuple(extra))
    shown = declarations + res.shown
    plain = to_plain(res.expr)
    if shown:
        plain += " where " + ", ".join(declaration_text(d) for d in shown)
    return Translated(res.expr, res.declarations, text, plain, tuple(notes + res.notes))


def read_index_tree(text: str, extra: tuple[Declaration, ...] = ()
                    ) -> tuple[Node, tuple[Declaration, ...], list[str]]:
    """The formula's tree before sums are put in matrix form (it may hold
    :class:`~matdiff.index_notation.IndexSum` and ``Slice`` nodes), the where clause's
    declarations, and the notes so far."""
    where = _split_where(text)
    end = len(text) if where < 0 else where
    declarations: tuple[Declaration, ...] = ()
    slice_decls: dict = {}
    if where >= 0:
        declarations, slice_decls = _where_clause(text, where + len("where"))
        if not declarations and not slice_decls:
            raise MatdiffSyntaxError("expected declarations after 'where'", where, text)
        # ", where" and "$ where": the punctuation belongs to the prose
        end = where
    declared = {n for d in declarations + tuple(extra) for n, _ in d.names}
    parser = _Parser(text, 0, end, slice_decls, declared)
    expr = parser.parse_top()
    return expr, declarations, parser.notes
