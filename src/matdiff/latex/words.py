"""Styles, words, accents and functions: ``\\mathbf{x}``, ``\\operatorname{tr}``, ``\\hat y``,
``\\mathbb{1}``, ``\\log\\det X``."""

from __future__ import annotations

import dataclasses

from ..syntax import (
    Binary,
    Call,
    Name,
    Node,
    Span,
    rebuild,
)
from .cursor import widen
from .delimiters import Delimiters
from .tokens import Tok
from .vocabulary import (
    ACCENTS,
    GREEK,
    OPENERS,
    SIZES_EITHER,
    SIZES_OPEN,
    STRIP_STYLES,
    WORD_STYLES,
    function_command,
    function_word,
    letter_name,
)


class Words(Delimiters):
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
            return self.postfix(widen(node, Span(cmd.start, self.toks[close].end)))
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

    def styled_name(self, t: Tok, start: int, end: int) -> Node:
        base = letter_name(t.text) if t.kind == "letter" else GREEK[t.text]
        if base == "I" and "I" not in self.declared and not self.at("sym", "_"):
            self.note_once("read I as the identity matrix")
            return self.postfix(Name("eye", Span(start, end)))
        return self.name_atom(base, start, end)

    def constant(self, digit: str, start: int, end: int) -> Node:
        name = "ones" if digit == "1" else "zeros"
        self.note_once(f"read a bold {digit} as {name}, the all-{name} vector")
        return self.postfix(Name(name, Span(start, end)))

    def braced(self) -> tuple[list[Tok], int, int] | None:
        """At ``{``: the tokens inside the group, where it ends in the text and the index of
        the token after it; else None."""
        t = self.peek()
        if not (t.kind == "sym" and t.text == "{"):
            return None
        close = self.matching_brace(self.i)
        return self.toks[self.i + 1:close], self.toks[close].end, close + 1

    def blackboard(self, cmd: Tok) -> Node:
        t = self.peek()
        group = self.braced()
        inner, end, nxt = group if group is not None else ([t], t.end, self.i + 1)
        content = "".join(x.text for x in inner)
        if content == "1":
            self.i = nxt
            return self.constant("1", cmd.start, end)
        if content == "I":
            self.i = nxt
            self.note_once("read I as the identity matrix")
            return self.postfix(Name("eye", Span(cmd.start, end)))
        if content == "E":
            self.i = nxt
            return self.expectation(cmd.start, end)
        self.error(f"unsupported LaTeX command \\mathbb{{{content}}}", cmd.start)

    def expectation(self, start: int, end: int) -> Node:
        """``\\mathbb{E}[v]``: the mean of the entries of v, each equally likely (matdiff
        has no random variables: an expectation over a distribution is refused)."""
        t = self.peek()
        if t.kind == "sym" and t.text in "_^":
            self.error("\\mathbb{E} with a script (a distribution or a variable to average "
                       "over) is not read: matdiff reads \\mathbb{E}[v] as the mean of the "
                       "entries of v; for a sample mean write \\frac{1}{n}\\sum_{i=1}^{n} "
                       "...", t.start)
        if not self.opens_group(t):
            self.error("\\mathbb{E} needs its argument in brackets, as in \\mathbb{E}[v]",
                       t.start)
        arg = self.delimited(postfix=False)
        self.note_once("read \\mathbb{E}[...] as mean(...), the mean of the entries (each "
                       "entry equally likely)")

        def entrywise(node: Node) -> Node | None:  # the entries' powers: (Xw - y)^2
            if isinstance(node, Binary) and node.op == "^":
                self.note_once("read the powers inside \\mathbb{E}[...] entry by entry (.^)")
                return dataclasses.replace(node, op=".^", left=rebuild(node.left, entrywise),
                                           right=rebuild(node.right, entrywise))
            return None

        arg = rebuild(arg, entrywise)
        return self.postfix(Call("mean", (arg,), Span(start, arg.span.end), Span(start, end)))

    def word(self, cmd: Tok) -> Node:
        """\\mathrm, \\text, \\operatorname, ...: a function, a letter, a multi-letter name,
        or (when the content is not a word) a group."""
        if self.at("sym", "*"):  # \operatorname*
            self.next()
        t = self.peek()
        group = self.braced()
        if group is not None:
            inner, end, nxt = group
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
            func = function_word(word)
            if func is not None:
                return self.function(func, cmd.start, Span(cmd.start, end))
            if word in ("max", "min", "argmax", "argmin", "rank", "arg", "sup", "inf", "E",
                        "Var", "Cov", "prox", "dom", "lim") and len(word) > 1:
                self.error(f"unsupported function {word}", cmd.start)
            if word == "d":
                self.error("unsupported: a differential 'd' (give the function itself)",
                           cmd.start)
            if word == "e" and self.at("sym", "^"):
                return self.name_atom("e", cmd.start, end)
            if len(word) == 1:
                return self.name_atom(letter_name(word), cmd.start, end, letter=True)
            return self.name_atom(word, cmd.start, end)
        if len(inner) == 1 and inner[0].kind == "cmd" and inner[0].text in GREEK:
            self.i = nxt
            return self.name_atom(GREEK[inner[0].text], cmd.start, end)
        if group is not None:  # the group's content, up to its closing brace
            node = self.parse_range(self.i + 1, nxt - 1, self.expr)
            self.i = nxt
            return self.postfix(widen(node, Span(cmd.start, end)))
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
            base = letter_name(core[0].text) if core[0].kind == "letter" else GREEK[core[0].text]
            return self.name_atom(f"{base}_{ACCENTS[cmd.text]}", cmd.start, end)
        self.error(f"unsupported: \\{cmd.text} over something other than a letter", cmd.start)

    def function(self, func: str, start: int, fspan: Span) -> Node:
        power: Node | None = None
        entrywise = False  # \log^{\circ}(X): the entrywise function of a matrix
        if self.at("sym", "^"):
            self.next()
            sc = self.script()
            if self.is_transpose(sc):
                self.error("a transpose of a function name; put it after the argument",
                           sc.span.start)
            circ = self.hadamard_mark(sc)
            if circ is not None and circ + 1 == sc.b - (self.toks[sc.b - 1].text == "}"):
                entrywise = True
            else:
                power = self.parse_range(sc.a, sc.b, self.expr)
        if self.at("sym", "_"):
            self.error(f"unsupported: a subscript on the function {func}", self.peek().start)
        t = self.peek()
        if self.opens_group(t):
            if func in ("sum", "mean", "logsumexp", "softmax"):  # a dimension may follow
                arg, dim = self.delimited_with_dimension()
                args: tuple[Node, ...] = (arg,) if dim is None else (arg, dim)
            else:
                arg = self.delimited(postfix=False)
                args = (arg,)
            node: Node = self.matrix_site(Call(func, args, Span(start, arg.span.end), fspan),
                                          entrywise)
            node = self.postfix(node)
        else:
            if not self.starts_atom(t):
                if t.kind == "sym" and t.text in "+-":
                    arg = self.unary()
                    node = self.matrix_site(Call(func, (arg,), Span(start, arg.span.end), fspan),
                                            entrywise)
                    return self.function_power(node, power)
                self.error(f"expected the argument of {func}", t.start)
            arg = self.factor()
            while self.starts_atom(self.peek()) and not self.function_start(self.peek()):
                right = self.factor()
                arg = Binary("*", arg, right, Span(arg.span.start, right.span.end),
                             Span(right.span.start, right.span.start))
            node = self.matrix_site(Call(func, (arg,), Span(start, arg.span.end), fspan),
                                    entrywise)
        return self.function_power(node, power)

    def matrix_site(self, call: Call, entrywise: bool) -> Call:
        """\\exp, \\log, \\sqrt: the matrix function of a matrix (:mod:`.readings`)
        unless written entrywise (``\\log^{\\circ}``)."""
        if call.func not in ("exp", "log", "sqrt"):
            if entrywise:
                self.error(f"\\circ marks the entrywise exp, log or sqrt; {call.func} is "
                           "not a matrix function", call.func_span.end)
            return call
        written = self.text[call.span.start:call.span.end]
        if entrywise:
            self.note_once(f"read {written} as the entrywise {call.func}")
            return call
        self.offer(call, call.func, call.span.start, call.span.end, force=call.func == "exp")
        return call

    def function_power(self, node: Node, power: Node | None) -> Node:
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
        return t.kind == "cmd" and (function_command(t.text) is not None
                                    or t.text in ("sum", "sqrt")
                                    or t.text in WORD_STYLES and self.word_is_function())

    def word_is_function(self) -> bool:
        if not self.at("sym", "{", 1):
            return False
        k = self.i + 2
        word = ""
        while k < len(self.toks) and self.toks[k].kind == "letter":
            word += self.toks[k].text
            k += 1
        return function_word(word) is not None
