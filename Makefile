# The two commands of the quick start: `make run` and `make test`. Nothing is installed by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Tests run on 2 workers (the machines have 2 cores); override with `make test XDIST=0`.
XDIST  ?= 2
PYTEST_ARGS ?=

DEV_ENV := DEBUG=1 SXSH_DEMO=1

.PHONY: run test fuzz venv venv-dev gettext translations migrate reference demo db-stop lint bench bench-smoke clean screens

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

# A development checkout's settings: a bare `manage.py` then runs in development mode too.
.env:
	printf '# Development settings written by make (git-ignored). Production sets its own environment.\nDEBUG=1\nSXSH_DEMO=1\n' > $@

venv: $(VENV)/.runtime-installed .env
venv-dev: $(VENV)/.dev-installed .env

# msgfmt (GNU gettext) compiles the .po files; install it from Debian's packages if it is missing.
gettext:
	@command -v msgfmt >/dev/null 2>&1 || { \
	  echo "Installing gettext (msgfmt)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq gettext >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq gettext >/dev/null; fi; }

translations: gettext venv
	$(DEV_ENV) $(BIN)/python manage.py compilemessages --ignore=.venv -v 0

migrate: venv
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput -v 0

reference: migrate
	$(DEV_ENV) $(BIN)/python manage.py load_reference_data

demo: reference
	$(DEV_ENV) $(BIN)/python manage.py seed_demo

run: translations demo
	@echo "Serving the SXSH Portal on http://$(HOST):$(PORT)/ (Ctrl+C stops it; 'make db-stop' stops the embedded database)"
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: venv-dev translations
	DEBUG=1 $(BIN)/pytest $(if $(filter 0,$(XDIST)),,-n $(XDIST)) $(PYTEST_ARGS)

# The schema fuzz drawn anew: a seed of its own (printed, so that a failure can be replayed with
# `make fuzz SXSH_FUZZ_SEED=<seed>`) and a larger budget than `make test`'s fixed draw. A failure is
# a bug: fix it and pin the case in tests/api/test_schema_examples.py.
FUZZ_EXAMPLES ?= 50
fuzz: venv-dev translations
	@seed=$(or $(SXSH_FUZZ_SEED),$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')); \
	echo "Schema fuzz: seed $$seed, $(FUZZ_EXAMPLES) examples per operation (replay: make fuzz SXSH_FUZZ_SEED=$$seed)"; \
	SXSH_FUZZ_SEED=$$seed SXSH_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) DEBUG=1 \
	  $(BIN)/pytest tests/api/test_schema_fuzz.py $(if $(filter 0,$(XDIST)),,-n $(XDIST)) -q -p no:cacheprovider \
	  --hypothesis-seed=$$seed $(PYTEST_ARGS)

# Screenshots of the main pages into docs/screens/, taken by the browser tests.
screens: venv-dev translations
	SXSH_SCREENSHOTS=1 DEBUG=1 $(BIN)/pytest tests/browser -n 0 -q

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every benchmark at full size, the sections gathered in test-artifacts/performance.md.
bench: venv-dev
	bash bench/run_all.sh

# Every benchmark at a tiny size, in seconds each (CI runs it): proves they all still work.
bench-smoke: venv-dev
	bash bench/smoke.sh

db-stop: venv
	$(BIN)/python sxsh_portal/embedded_db.py stop

clean:
	rm -rf $(VENV) staticfiles
