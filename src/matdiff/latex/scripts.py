"""Subscripts and superscripts: the argument after ``_`` or ``^`` and what it holds (a
transpose mark, an index, a name's label)."""

from __future__ import annotations

from ..syntax import (
    Span,
)
from .cursor import Cursor, Script, describe
from .tokens import Tok
from .vocabulary import (
    CLOSERS,
    GREEK,
    STRIP_STYLES,
    WORD_STYLES,
)


class Scripts(Cursor):
    def script(self, what: str = "superscript") -> Script:
        """The argument after '_' or '^' (consumed): a one-token argument or a group."""
        t = self.peek()
        if t.kind == "sym" and t.text == "{":
            open_index = self.i
            close = self.matching_brace(open_index)
            self.i = close + 1
            return Script(open_index + 1, close, Span(t.start, self.toks[close].end))
        if t.kind == "num":
            self.split_num()
            t = self.next()
            return Script(self.i - 1, self.i, Span(t.start, t.end))
        if t.kind == "cmd" and (t.text in WORD_STYLES or t.text in STRIP_STYLES):
            a = self.i
            self.next()
            if self.at("sym", "{"):
                close = self.matching_brace(self.i)
                self.i = close + 1
            else:
                self.next()
            return Script(a, self.i, Span(t.start, self.toks[self.i - 1].end))
        if t.kind in ("letter", "cmd") and not (t.kind == "cmd" and (t.kind, t.text) in CLOSERS
                                                 and t.text not in ("|",)):
            self.next()
            return Script(self.i - 1, self.i, Span(t.start, t.end))
        if t.kind == "sym" and t.text in ("'", "*", "+", "-"):
            self.next()
            return Script(self.i - 1, self.i, Span(t.start, t.end))
        self.error(f"bad {what}: expected a letter, a digit or a {{group}} after "
                   f"'{'_' if what == 'subscript' else '^'}', found {describe(t)}", t.start)

    def script_tokens(self, sc: Script) -> list[Tok]:
        return self.toks[sc.a:sc.b]

    def core_tokens(self, sc: Script) -> list[Tok]:
        """The script's tokens without style commands and braces."""
        return [t for t in self.script_tokens(sc)
                if not (t.kind == "cmd" and (t.text in WORD_STYLES or t.text in STRIP_STYLES
                                              or t.text in ("rm", "sf", "bf")))
                and not (t.kind == "sym" and t.text in "{}")]

    def is_transpose(self, sc: Script) -> bool:
        core = self.core_tokens(sc)
        if len(core) != 1:
            return False
        t = core[0]
        return (t.kind == "letter" and t.text == "T" or t.kind == "cmd"
                and t.text in ("top", "intercal", "prime", "mathsf") or t.kind == "sym"
                and t.text == "'")

    def is_neg_transpose(self, sc: Script) -> bool:
        core = self.core_tokens(sc)
        return (len(core) == 2 and core[0].kind == "sym" and core[0].text == "-"
                and (core[1].kind == "letter" and core[1].text == "T"
                     or core[1].kind == "cmd" and core[1].text in ("top", "intercal")))

    def index_script(self, sc: Script) -> str | None:
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

    def subscript_parts(self, sc: Script) -> list[tuple[str, str, int]]:
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
                what = describe(t)
                self.error(f"bad subscript: unexpected {what} (a subscript is a name, a number "
                           "or summation indices)", t.start)
            k += 1
        if not parts:
            self.error("bad subscript: it is empty", sc.span.start)
        return parts
