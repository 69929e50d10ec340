# renkou — two commands set up a fresh machine:  make demo   and   make test
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install browser demo lint test test-fast bench lock clean

$(STAMP): pyproject.toml requirements/lock.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Build the demo county (generated, fictitious people) and one account per role in demo.db, then serve the
# web application on 127.0.0.1:8000 (Ctrl+C to stop).
demo: install
	$(BIN)/renkou --db sqlite:///demo.db demo
	$(BIN)/renkou --db sqlite:///demo.db serve --host 127.0.0.1 --port 8000

# Debian's headless Chromium and CJK fonts for the browser tests (Playwright drives /usr/bin/chromium;
# it never downloads a browser of its own). fonts-wqy-microhei (TrueType) is the font the PDF reports embed.
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list :lang=zh | grep -q . && test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || { \
	  echo "installing Debian chromium and CJK fonts for the browser tests and PDF reports"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium fonts-noto-cjk fonts-wqy-microhei; }

# The whole suite: SQLite always, PostgreSQL too when a server answers at 127.0.0.1:5432; browser tests in Chromium;
# two worker processes (pytest-xdist), one per core of the 2-core machines it runs on; each test file runs whole
# and in order on one worker (the browser flows are steps of one story, file by file).
test: lint browser
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# The type and lint gate (configured in pyproject.toml), run first by `make test`: the ruff format check and ruff's lint rules over the
# code, tests, benchmarks and docs; mypy strict over core, auth, storage, registry, config and errors.
lint: install
	$(BIN)/ruff format --check src tests bench docs
	$(BIN)/ruff check src tests bench docs
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench

lock:
	{ echo '# Every package renkou installs, pinned (runtime and test). Regenerate with `make lock` after changing pyproject.toml.'; \
	  $(BIN)/python -m pip freeze --exclude-editable | LC_ALL=C sort -f; } > requirements/lock.txt

clean:
	rm -rf $(VENV) demo.db demo.db-wal demo.db-shm .pytest_cache test-output
