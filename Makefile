# Two commands that work on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test venv bench clean browser katex

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
	@echo "== the web page: $(BIN)/matdiff serve, then open http://127.0.0.1:8000/ =="

# --- generated-code backends (issue 4): torch is pinned to 2.13.0 because that is the CPU
# wheel kept on this machine's disk (an unpinned torch pulls a multi-GB CUDA build); it is
# installed first so that the `backends` extra (torch>=2.1) is already satisfied.
test: venv browser
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test,backends]"
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src/matdiff
	$(BIN)/python -m pytest

# The browser tests (tests/test_browser.py) drive Debian's chromium: install it when it is
# missing and this is root with apt-get; elsewhere those tests are skipped, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium for the browser tests (apt-get)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium >/dev/null; } || \
	  echo "warning: could not install chromium; the browser tests will be skipped"; \
	else \
	  echo "note: no chromium and no way to install it here; the browser tests will be skipped"; \
	fi

# KaTeX for the web page is vendored in src/matdiff/web/static/katex/ (MathML output: no
# fonts or CSS needed); this refreshes it from the npm registry.
KATEX_VERSION := 0.19.1
KATEX_DIR := src/matdiff/web/static/katex
katex:
	rm -rf build/katex && mkdir -p build/katex
	cd build/katex && npm pack --silent katex@$(KATEX_VERSION) >/dev/null && tar xzf katex-*.tgz
	cp build/katex/package/dist/katex.min.js build/katex/package/LICENSE $(KATEX_DIR)/
	@echo "KaTeX $(KATEX_VERSION): sha256 $$(sha256sum build/katex/katex-*.tgz | cut -d' ' -f1)"

bench: venv
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/python benchmarks/derive_speed.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
