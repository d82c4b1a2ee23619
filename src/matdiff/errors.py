"""Errors are values: each carries a message, a 0-based position in the text and a kind.

The kinds are the ones the CLI reports in JSON: ``syntax``, ``type``, ``shape``,
``unsupported`` and ``internal`` (matdiff could not verify its own answer: a bug).
"""

from __future__ import annotations


class MatdiffError(Exception):
    """Base class of every error matdiff reports about a user's input."""

    kind = "error"

    def __init__(self, message: str, position: int | None = None, text: str | None = None):
        super().__init__(message)
        self.message = message
        self.position = position
        self.text = text

    def with_text(self, text: str) -> MatdiffError:
        """Attach the source text (for the caret display) if none is attached yet."""
        if self.text is None:
            self.text = text
        return self

    def caret(self) -> str:
        """The source text with a caret under the offending character (or just the message)."""
        if self.text is None or self.position is None:
            return f"error: {self.message}"
        line = self.text.replace("\n", " ")
        pos = min(max(self.position, 0), len(line))
        return f"error: {self.message}\n  {line}\n  {' ' * pos}^"

    def to_json(self) -> dict:
        return {"message": self.message, "position": self.position, "kind": self.kind}


class MatdiffSyntaxError(MatdiffError):
    """The text is not a well-formed expression of the language."""

    kind = "syntax"


class MatdiffTypeError(MatdiffError):
    """No assignment of kinds (scalar, vector, matrix) fits the uses of a name."""

    kind = "type"


class MatdiffShapeError(MatdiffError):
    """Two shapes that must agree do not."""

    kind = "shape"


class UnsupportedError(MatdiffError):
    """A well-formed request that matdiff does not (yet) handle."""

    kind = "unsupported"


class InternalError(MatdiffError):
    """matdiff's own answer failed its numeric check: a bug in matdiff, never shown as an
    answer."""

    kind = "internal"
