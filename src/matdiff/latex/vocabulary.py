"""The LaTeX vocabulary matdiff reads: Greek letters, function commands and words, style
commands, delimiters and the commands that are skipped or refused."""

from __future__ import annotations

from ..names import GREEK_UNICODE, GREEK_UPPER_UNICODE

GREEK = {g: g for g in (
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi",
    "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
    "Psi", "Omega", "ell")}
GREEK.update({"varepsilon": "epsilon", "vartheta": "theta", "varkappa": "kappa",
              "varpi": "pi", "varrho": "rho", "varsigma": "sigma", "varphi": "phi"})

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


_UNICODE_NAMES = {**GREEK_UNICODE, **GREEK_UPPER_UNICODE}


def letter_name(ch: str) -> str:
    """The name of a letter: itself, or a Greek character's name (``λ`` -> ``lambda``)."""
    return _UNICODE_NAMES.get(ch, ch)
