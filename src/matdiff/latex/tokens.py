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
    return toks


def looks_like_latex(text: str) -> bool:
    """Whether text is probably LaTeX (the web page's auto-detection)."""
    t = text.lstrip()
    return t.startswith(("\\", "$")) or any(
        s in text for s in ("\\frac", "\\|", "_{", "^{", "\\left", "\\sum", "\\mathbf",
                            "\\lambda", "\\top"))

