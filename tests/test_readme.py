"""Every example in README.md and docs/ prints what the page shows: the `$ matdiff ...`
sessions (run through the CLI, output compared line by line; a passing check's error
figure may differ in its digits), the README's `>>>` sessions (doctest) and its
generated-code snippet (run)."""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

import matdiff
from matdiff.cli import main

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
TEXT = README.read_text()
FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.S)
BLOCKS = FENCE.findall(TEXT)
PASSED = re.compile(r"max relative error (\S+) \(passed\)")


def _sessions() -> list[tuple[str, str]]:
    """(command, expected output) for every `$ matdiff` line of a page's code blocks."""
    out = []
    for block in (b for page in PAGES for b in FENCE.findall(page.read_text())):
        parts = re.split(r"^\$ ", block, flags=re.M)
        for part in parts[1:]:
            command, _, expected = part.partition("\n")
            if command.startswith("matdiff "):
                out.append((command, expected))
    return out


def _normal(text: str) -> str:
    """A passing check's figure, below the tolerance, is not part of the example."""
    def figure(m: re.Match) -> str:
        assert float(m.group(1)) < 1e-6
        return "max relative error <1e-6 (passed)"
    return PASSED.sub(figure, text).rstrip("\n")


SESSIONS = _sessions()


def test_the_pages_have_sessions():
    assert len(SESSIONS) >= 16


@pytest.mark.parametrize("command, expected", SESSIONS, ids=[c for c, _ in SESSIONS])
def test_command_prints_what_the_readme_shows(command, expected, capsys):
    main(shlex.split(command)[1:])
    got = capsys.readouterr()
    assert _normal(got.out + got.err) == _normal(expected)


def test_python_sessions():
    parser, globs = doctest.DocTestParser(), {}  # the blocks run in order, as one session
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    blocks = [b for b in BLOCKS if ">>> " in b]
    for i, block in enumerate(blocks):
        test = parser.get_doctest(block, globs, f"README.md block {i}", str(README), 0)
        runner.run(test, clear_globs=False)
        globs = test.globs  # a DocTest works on a copy: carry its names to the next block
    result = runner.summarize(verbose=False)
    assert result.attempted >= 8 and result.failed == 0


def test_generated_code_snippet():
    (snippet,) = [b for b in BLOCKS if "matdiff.compile(" in b]
    rng = np.random.default_rng(0)
    env = {"matdiff": matdiff, "X": rng.standard_normal((6, 3)), "y": rng.standard_normal(6),
           "w": rng.standard_normal(3), "W": rng.standard_normal((4, 3)),
           "u": rng.standard_normal(3), "v": rng.standard_normal(4)}
    exec(compile(snippet, "README.md", "exec"), env)  # the README's own code, not user text
    assert env["g_W"].shape == (4, 3) and env["H_u"].shape == (3, 3)
