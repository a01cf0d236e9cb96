# Zhuiguang: `make run` starts the demo, `make test` runs the tests. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test lint lock migrations-check messages clean bench-upload bench-pipeline

# Browser libraries, fetched from the npm registry at install time (never from a CDN at run time) and served as
# static files. The stamp names the versions, so changing one here fetches again; otherwise this runs once.
VENDOR_DIR := submissions/static/submissions/vendor
NPM_DIR := var/npm
TUS_JS_VERSION := 4.3.1
HTMX_VERSION := 2.0.11
VENDOR_STAMP := $(VENDOR_DIR)/.vendored-tus-$(TUS_JS_VERSION)-map-htmx-$(HTMX_VERSION)

install: $(VENV)/.installed $(VENDOR_STAMP)

# Reinstalls only when a lock file changes. The lock files pin every package, dependencies included, with hashes
# (requirements.txt for running, requirements-dev.txt adds tests and linters), so every install is the same bytes.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check --require-hashes -r requirements-dev.txt
	touch $@

# Regenerates the lock files from requirements.in and requirements-dev.in (newest releases those allow), then
# installs them. Run after changing a .in file; commit the .in and .txt files together.
PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links
lock: $(VENV)/.installed
	$(PIP_COMPILE) --upgrade --output-file=requirements.txt requirements.in
	$(PIP_COMPILE) --upgrade --output-file=requirements-dev.txt requirements-dev.in
	$(MAKE) install

$(VENDOR_STAMP):
	@command -v npm >/dev/null 2>&1 || { echo "make install: npm is missing. Install Node.js and npm (Debian: apt-get install npm);" \
		"it fetches tus-js-client and htmx from the npm registry into $(VENDOR_DIR)." >&2; exit 1; }
	rm -rf $(NPM_DIR) $(VENDOR_DIR)
	mkdir -p $(NPM_DIR) $(VENDOR_DIR)
	cd $(NPM_DIR) && npm pack --silent tus-js-client@$(TUS_JS_VERSION) htmx.org@$(HTMX_VERSION) >/dev/null
	tar -xzOf $(NPM_DIR)/tus-js-client-$(TUS_JS_VERSION).tgz package/dist/tus.min.js > $(VENDOR_DIR)/tus.min.js
	# The minified file names its source map; collectstatic's manifest storage (DEBUG off) refuses a missing one.
	tar -xzOf $(NPM_DIR)/tus-js-client-$(TUS_JS_VERSION).tgz package/dist/tus.min.js.map > $(VENDOR_DIR)/tus.min.js.map
	tar -xzOf $(NPM_DIR)/tus-js-client-$(TUS_JS_VERSION).tgz package/LICENSE > $(VENDOR_DIR)/tus.LICENSE.txt
	tar -xzOf $(NPM_DIR)/htmx.org-$(HTMX_VERSION).tgz package/dist/htmx.min.js > $(VENDOR_DIR)/htmx.min.js
	tar -xzOf $(NPM_DIR)/htmx.org-$(HTMX_VERSION).tgz package/LICENSE > $(VENDOR_DIR)/htmx.LICENSE.txt
	test -s $(VENDOR_DIR)/tus.min.js && test -s $(VENDOR_DIR)/htmx.min.js
	touch $@

run: install
	PORT=$(PORT) bin/run

# pytest's exit code 5 (no tests collected) fails the target like any other failure.
test: install
	@status=0; $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$status

# Not part of `make test`: tus upload throughput against cp, and the web worker's memory (README, "Measuring uploads").
bench-upload: install
	$(PY) bench/upload_bench.py

# Not part of `make test` either: the video pipeline's wall time on a 3-minute 1080x1920 episode against the bare
# ffmpeg commands it runs (target <= 1.15x), written to var/bench/pipeline.json. Needs only the Python packages.
bench-pipeline: $(VENV)/.installed
	$(PY) bench/pipeline_bench.py $(BENCH_ARGS)

# Not part of `make test`: judging.aggregation.compute_ranking per method over 150,000 scores in a throwaway
# competition of the DATABASE_URL database (target <= 1 s on PostgreSQL; SQLite refused unless
# BENCH_ARGS=--allow-sqlite), written to var/bench/results.json.
.PHONY: bench loadtest
# Not part of `make test`: seeds a 20,000-entry competition into the DATABASE_URL database (PostgreSQL) unless it is
# already there, then measures every page (p50/p95, queries), ranking, advancement, the 20,000-row XLSX export, and
# gunicorn under wrk (README, "Performance"). Writes var/bench/bench.json.
bench: install
	$(PY) bench/bench.py $(BENCH_ARGS)

# Not part of `make test`: 50 simulated entrants, judges and readers for 60 s against gunicorn, PostgreSQL, Redis
# and two Celery workers on loopback, then checks the database (README, "Load test").
loadtest: install
	$(PY) bench/loadtest.py $(LOADTEST_ARGS)

.PHONY: bench-results
bench-results: $(VENV)/.installed
	$(PY) bench/results.py $(BENCH_ARGS)

# ruff, then bandit failing on medium and high findings (config in pyproject.toml; accepted ones carry # nosec).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit -c pyproject.toml -ll -q -r portal submissions judging

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

messages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(VENDOR_DIR) $(NPM_DIR)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
