# Two commands that work on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test venv bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

venv: $(BIN)/python

demo: venv
	$(BIN)/pip install --quiet -e .
	@echo "== the seed questions and the LANGUAGE.md examples =="
	$(BIN)/matdiff "1/N * norm(X*W - Y, 'fro')^2" --wrt W --check
	$(BIN)/matdiff "norm(W*u - v)^2" --check
	$(BIN)/matdiff "1/2*norm(P.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2) where P: mask" --check
	$(BIN)/matdiff "C/2 * sum(W.^2)" --wrt W --check
	$(BIN)/matdiff "x'*A*x where A: symmetric matrix" --wrt x --latex --check
	$(BIN)/matdiff "sum(log(1 + exp(-y.*(X*w))))" --wrt w --check

test: venv
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/python -m pytest

bench: venv
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/python benchmarks/derive_speed.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
