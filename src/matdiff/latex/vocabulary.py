"""The LaTeX vocabulary matdiff reads: Greek letters, function commands and words, style
commands, delimiters and the commands that are skipped or refused."""

from __future__ import annotations

from ..names import GREEK_UNICODE, GREEK_UPPER_UNICODE
from ..ops import ELEMENTWISE

GREEK = {g: g for g in (
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi",
    "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
    "Psi", "Omega", "ell")}
GREEK.update({"varepsilon": "epsilon", "vartheta": "theta", "varkappa": "kappa",
              "varpi": "pi", "varrho": "rho", "varsigma": "sigma", "varphi": "phi"})

# Functions of one argument that are not elementwise: commands and words (in
# \operatorname{..}, \mathrm{..}, \text{..}, or bare before '(') -> the name matdiff uses.
# The elementwise functions and their LaTeX spellings are the records of matdiff.ops
# (Elementwise.latex_commands and latex_words), read at each lookup: a function
# registered at run time is read too.
FUNCTION_CMDS = {"det": "det", "tr": "tr", "Tr": "tr", "trace": "tr", "Trace": "tr",
                 "diag": "diag", "logdet": "logdet"}
FUNCTION_WORDS = {**FUNCTION_CMDS, "Diag": "diag", "vec": "vec", "softmax": "softmax",
                  "logsumexp": "logsumexp", "LSE": "logsumexp", "sum": "sum", "TR": "tr",
                  "mean": "mean"}

# The matrix and spectral functions by their names in the language (\operatorname{expm},
# \mathrm{logm}, bare sqrtm(...)), and the Frechet derivatives (two arguments).
MATRIX_FUNCTION_WORDS = {w: w for w in ("expm", "logm", "sqrtm", "eigvals", "eigvecs", "svals",
                                        "svdU", "svdV", "dexpm", "dlogm", "dsqrtm")}
TWO_ARGUMENTS = ("dexpm", "dlogm", "dsqrtm")


def function_command(name: str) -> str | None:
    """The function a command means (``\\log`` -> ``log``, ``\\det`` -> ``det``), or None."""
    if name in FUNCTION_CMDS:
        return FUNCTION_CMDS[name]
    for record in ELEMENTWISE.values():
        if name in record.latex_commands:
            return record.name
    return None


def function_word(word: str) -> str | None:
    """The function a word means (``\\operatorname{Tr}`` -> ``tr``, or a spelling listed by an
    elementwise function's record; a command's name is a word too: ``\\mathrm{log}``), or
    None."""
    if word in FUNCTION_WORDS:
        return FUNCTION_WORDS[word]
    if word in MATRIX_FUNCTION_WORDS:
        return MATRIX_FUNCTION_WORDS[word]
    for record in ELEMENTWISE.values():
        if word in record.latex_aliases:
            return record.name
    return None


def bare_function(word: str) -> bool:
    """Whether letters written together before a bracket are a function (``tr(``,
    ``log(``): a word of more than one letter, ``sum`` excepted."""
    return len(word) > 1 and word != "sum" and function_word(word) is not None

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


_UNICODE_NAMES = {**GREEK_UNICODE, **GREEK_UPPER_UNICODE}


def letter_name(ch: str) -> str:
    """The name of a letter: itself, or a Greek character's name (``λ`` -> ``lambda``)."""
    return _UNICODE_NAMES.get(ch, ch)
