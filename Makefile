# The README's two commands: `make run` and `make test`. Both start from a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKERS ?= 2
FLASK := $(BIN)/flask --app directory

.PHONY: install install-test run serve test translations bench load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# venv, install, compile catalogs: the step `run` and `test` share.
install: $(VENV)/.installed
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	$(MAKE) --no-print-directory compile-translations
	touch $@

install-test: $(VENV)/.installed-test
$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

.PHONY: compile-translations
compile-translations:
	$(BIN)/pybabel compile -d translations -f >/dev/null

instance/config.py:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print('SECRET_KEY = %r' % secrets.token_hex(32))" > $@
	chmod 600 $@

# Install, migrate, load the demo set when empty, build the search index, serve on 127.0.0.1.
run: install instance/config.py
	$(MAKE) --no-print-directory compile-translations
	$(FLASK) init
	@# The index is built just below: loading the demo need not try (and warn) first.
	DIRECTORY_SEARCH_SYNC_ON_COMMIT=false $(FLASK) demo --if-empty
	@if $(FLASK) search --help >/dev/null 2>&1; then $(FLASK) search rebuild; fi
	PORT=$(PORT) WEB_CONCURRENCY=$(WORKERS) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# Install with test extras, Debian's chromium for browser tests when missing, then pytest.
test: install-test
	$(MAKE) --no-print-directory compile-translations
	@command -v chromium >/dev/null 2>&1 || ./.ci/install-chromium
	$(BIN)/python -m pytest -n 2 --dist loadfile

# Extract UI strings and update every catalog (then translate, then `make compile-translations`).
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output -w 100 .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete -w 100

bench: install-test
	$(BIN)/python bench/run.py --sizes 2000,20000,100000
	$(BIN)/python bench/relevance.py

# Load test (bounded, 127.0.0.1 only): search and listing pages, 1/2/4 workers, SQLite and PostgreSQL.
load: install-test
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) build *.egg-info
