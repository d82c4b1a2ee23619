"""matdiff's version, in one place: ``matdiff.__version__`` and the ``"version"`` of every JSON
answer (pyproject.toml's ``version`` is the same; tests/test_service.py checks it)."""

__version__ = "0.1.0"
