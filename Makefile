# Rekonekt — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: run test fuzz chaos mutants bench bench-labels bench-eligibility bench-dashboard bench-lists translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install whenever the declared dependencies change.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/python run.py

# pytest's exit code 5 means "no test ran": that is a failure too.
test: $(VENV)/.installed-test
	@$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest n'a exécuté aucun test : échec" >&2; exit 1; fi; \
	exit $$status

# Schemathesis against the served OpenAPI description with the full budget (200 examples per
# operation, positive and negative, for Admin and an Agent EPCI); not in CI, where the same test
# runs with 6. On PostgreSQL too with TEST_DATABASE_URL (see README, "Tests").
FUZZ_EXAMPLES ?= 200
fuzz: $(VENV)/.installed-test
	REKONEKT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) REKONEKT_TEST_LOCAL_POSTGRES=0 $(BIN)/python -m pytest -s tests/app/test_fuzz_api.py $(PYTEST_ARGS)

# Fault test (bench/chaos.py): a burst of writes against gunicorn with one worker killed by
# SIGKILL, then the invariants; exits 1 when one breaks. Not in CI. PostgreSQL by default (the
# server on 127.0.0.1:5432, user postgres: the database rekonekt_chaos is dropped and created);
# the embedded default: CHAOS_ARGS="--database sqlite". gunicorn comes with the app, requests
# with the test extra.
chaos: $(VENV)/.installed-test
	$(BIN)/python bench/chaos.py $(CHAOS_ARGS)

$(VENV)/.installed-mutants: $(VENV)/.installed-test
	$(PIP) -e '.[test,mutants]'
	touch $@

# Mutation testing of the modules that hold the rules ([tool.mutmut] in pyproject.toml); not in CI
# (it takes long: see README). Results are kept in mutants/: a second run only retests what changed.
# One module: MUTMUT_ARGS="eligibility.engine*"; the per-module table: tests/mutation_report.py.
mutants: $(VENV)/.installed-mutants
	REKONEKT_MUTANTS=1 REKONEKT_TEST_LOCAL_POSTGRES=0 $(BIN)/mutmut run $(MUTMUT_ARGS)
	$(BIN)/python -m tests.mutation_report

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(PIP) -e '.[test,bench]'
	touch $@

bench: $(VENV)/.installed-test
	$(BIN)/python bench/scan.py $(BENCH_ARGS)

bench-labels: $(VENV)/.installed-bench
	$(BIN)/python bench/labels.py $(BENCH_ARGS)

bench-eligibility: $(VENV)/.installed-test
	$(BIN)/python bench/eligibility.py $(BENCH_ARGS)

# Needs PostgreSQL on 127.0.0.1:5432 (see bench/dashboard.py); quick run: BENCH_ARGS="--devices 20000 --events 100000"
bench-dashboard: $(VENV)/.installed-test
	$(BIN)/python bench/dashboard.py $(BENCH_ARGS)

# Every list page's first and last page at 1M devices / 100k households (issue 18). Needs PostgreSQL on
# 127.0.0.1:5432 (bench/lists.py); quick run: BENCH_ARGS="--devices 20000 --households 2000"
bench-lists: $(VENV)/.installed-test
	$(BIN)/python bench/lists.py $(BENCH_ARGS)

# Re-extract and compile the UI catalogs (French is the default language).
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -o app/translations/messages.pot .
	$(BIN)/pybabel update -N --ignore-obsolete -i app/translations/messages.pot -d app/translations
	$(BIN)/pybabel compile -d app/translations

clean:
	rm -rf $(VENV) build *.egg-info
