"""The LaTeX tokenizer: commands, letters, numbers and symbols with their offsets in the
original text (comments, spacing commands and ``$`` are skipped)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import MatdiffSyntaxError
from ..lex import MAX_NUMBER_DIGITS, check_length
from .vocabulary import SKIP_CMDS

__all__ = ["LatexToken", "Tok", "looks_like_latex", "tokenize_latex"]



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
    """The tokens of ``text[start:end]``, ending with an ``eof`` token (offsets into text).

    The text is at most :data:`matdiff.lex.MAX_TEXT_LENGTH` characters long, and a number at
    most :data:`matdiff.lex.MAX_NUMBER_DIGITS` digits."""
    check_length(text)
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
            if j - i > MAX_NUMBER_DIGITS:
                raise MatdiffSyntaxError(f"number with too many digits (at most "
                                         f"{MAX_NUMBER_DIGITS})", i, text)
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
    return _one_digit_arguments(toks)


_TWO_ARGUMENTS = {"frac", "dfrac", "tfrac", "cfrac"}


def _one_digit_arguments(toks: list[Tok]) -> list[Tok]:
    """Split the numbers that are one-token arguments (``x^23`` is x^2 times 3, ``\\frac123``
    is 1/2 times 3, also inside braces: ``X^{\\frac12}``), so that every later index into the
    tokens stays valid."""
    out: list[Tok] = []
    need = 0  # how many one-token arguments the last command or script still takes
    stack: list[int] = []  # what is still needed after each open brace
    pending = list(reversed(toks))
    while pending:
        t = pending.pop()
        if t.kind == "sym" and t.text == "{":
            stack.append(max(need - 1, 0))
            need = 0
        elif t.kind == "sym" and t.text == "}":
            need = stack.pop() if stack else 0
        elif need and t.kind == "num":
            need -= 1
            if len(t.text) > 1 and t.text[1] != ".":
                out.append(Tok("num", t.text[0], t.start, t.start + 1))
                pending.append(Tok("num", t.text[1:], t.start + 1, t.end))
                continue
        elif need and t.kind == "letter":
            need -= 1
        else:
            need = 0
        out.append(t)
        if t.kind == "sym" and t.text in "^_" or t.kind == "cmd" and t.text == "sqrt":
            need = 1
        elif t.kind == "cmd" and t.text in _TWO_ARGUMENTS:
            need = 2
    return out


def looks_like_latex(text: str) -> bool:
    """Whether text is probably LaTeX (the web page's auto-detection)."""
    t = text.lstrip()
    return t.startswith(("\\", "$")) or any(
        s in text for s in ("\\frac", "\\|", "_{", "^{", "\\left", "\\sum", "\\mathbf",
                            "\\lambda", "\\top"))

