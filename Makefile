# Two commands a new user needs: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-dates lint typecheck bench demo clean lock wheel wheelhouse bundle package-test audit sbom \
        fips-check office-demo

TEST_LOCK := requirements-test.lock

# The venv of `make test`, `make run` and CI, installed from a lock with hashes (issue 23): every package of the
# application and of its `test` extra, pip and the build backend (setuptools, wheel) pinned by sha256 in
# requirements-test.lock (`make lock` writes it), fetched from PyPI alone (PIP_CLEAN, below); then the project
# itself, editable, with that pinned backend (--no-build-isolation: nothing unpinned is fetched to build it).
$(STAMP): pyproject.toml $(TEST_LOCK)
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_CLEAN) $(BIN)/python -m pip install --quiet --require-hashes -r $(TEST_LOCK)
	$(PIP_CLEAN) $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --no-index -e .
	@touch $(STAMP)

# Set up, install the system libraries Qt's platform plugin lacks (or name the command that does, and stop;
# only with a display: ui/qt_runtime.py), create the demo store if there is none, start the desktop
# application.
run: $(STAMP)
	@$(BIN)/python -m ui.qt_runtime --install
	$(BIN)/python -m workstation.cli.main demo --if-missing
	$(BIN)/python -m workstation.cli.main gui

# An office on this machine, then the desktop application on it (README, "An office on one server"): `dws office
# demo` makes (or starts again) a PostgreSQL cluster from the distribution's `postgresql` package in OFFICE_DEMO
# (default: beside `make run`'s store, in the user's data folder), fills an office with the demo's users, records
# and requests, and writes its profile; the application then opens on that profile. With CI set, or no display,
# no window opens: the line that opens it is printed. `dws office stop DIR` shuts the server down.
# GUI_ARGS="--quit-after 5" quits the application by itself (tests/test_office_gui_demo.py).
office-demo: $(STAMP)
	@dir="$${OFFICE_DEMO:-$$($(BIN)/python -c 'from workstation.paths import default_office_demo as d; print(d())')}"; \
	$(BIN)/python -m workstation.cli.main office demo "$$dir" || exit 1; \
	if [ -n "$$CI" ] || [ -z "$$DISPLAY$$WAYLAND_DISPLAY$$QT_QPA_PLATFORM" ]; then \
	  echo "No window here (CI, or no display). Open the office with: $(BIN)/dws --store $$dir/office.json gui"; \
	else \
	  $(BIN)/python -m ui.qt_runtime --install && \
	  $(BIN)/python -m workstation.cli.main --store "$$dir/office.json" gui $(GUI_ARGS); \
	fi

# Set up and run the whole suite headless, in parallel: pytest-xdist starts one worker per CPU core and gives
# each a whole test file at a time (its module fixtures are made once). WORKERS=0 runs it in this process.
WORKERS ?= auto
PYTEST  := $(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile
test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PYTEST)
	$(BIN)/ruff check workstation ui tests bench

# The suite again under libfaketime (Debian's `faketime`) one year on, five years on and on the next leap day,
# with the tests' own day moved there too (DWS_TEST_TODAY): nothing may hold only on the day it was written.
# The test files whose subject is a date (tests/faketime_days.py EVERY_DAY) run on all three days; every other
# file on one of them, dealt out in turn by its name and today's date (DWS_DATES_SHARE), so each file meets each
# day within three days and the three replays cost one suite. FULL=1 replays every file on every day.
# DAYS="2029-12-31" replays other days. .ci/run runs it after `make test`.
DAYS ?= $(shell $(PYTHON) tests/faketime_days.py)
DATES_SEED := $(shell $(PYTHON) -c 'import datetime; print(datetime.date.today().toordinal())')
test-dates: $(STAMP)
	@command -v faketime >/dev/null || { echo "test-dates needs faketime (apt-get install faketime)" >&2; exit 1; }
	@n=$(words $(DAYS)); i=0; for day in $(DAYS); do \
	  if [ -n "$(FULL)" ]; then share=""; what="the suite"; \
	  else share="$$i/$$n/$(DATES_SEED)"; what="share $$((i + 1)) of $$n of the suite"; fi; \
	  echo "== $$what on $$day (faketime) =="; \
	  DWS_DATES_SHARE=$$share DWS_TEST_TODAY=$$day QT_QPA_PLATFORM=offscreen faketime "$$day 15:00:00" \
	    $(PYTEST) -p no:cacheprovider || exit 1; \
	  i=$$((i + 1)); \
	done

lint: $(STAMP)
	$(BIN)/ruff check workstation ui tests bench
	$(BIN)/mypy

# mypy --strict on workstation/, as pyproject.toml's [tool.mypy] configures it (its cache: .mypy_cache/).
typecheck: $(STAMP)
	$(BIN)/mypy

# The pins of both locks checked for known vulnerabilities by pip-audit (README, "Security and compliance"):
# exit 0 only when every pin was checked and none is affected; 1 with vulnerabilities; 2, with one line saying
# why, when the service (PyPI's JSON API; AUDIT_SERVICE=osv for OSV's) could not answer for every pin. Offline:
# `make audit ADVISORIES=DIR`, DIR a copy of an OSV advisory database (packaging/audit_offline.py).
AUDIT_LOCKS   ?= requirements.lock $(TEST_LOCK) packaging/build.lock
AUDIT_SERVICE ?= pypi
audit: $(STAMP)
	$(BIN)/python packaging/audit.py --service $(AUDIT_SERVICE) $(if $(ADVISORIES),--advisories $(ADVISORIES)) \
		$(AUDIT_LOCKS)

# The crypto and store tests with OpenSSL's FIPS provider alone (README, "Security and compliance"): builds the
# provider from the platform's OpenSSL source and SQLCipher from source on the platform's libcrypto, into
# build/fips/ (about 8 minutes the first time on 2 cores; a rerun only runs the tests, under a minute). Not part of `make test` or
# CI. FIPS_CRYPTOGRAPHY=platform uses the platform's own cryptography (Debian's python3-cryptography) on the same
# OpenSSL as SQLCipher instead of the pinned wheel. FIPS_TESTS="tests/..." runs other tests; FIPS_REBUILD=1 starts afresh.
fips-check:
	PYTHON=$(PYTHON) bash packaging/fips_check.sh

bench: $(STAMP)
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) build *.egg-info

# --- Packaging: the offline installer and the frozen application ---------------------------------------------
# README, "Installing on an offline desktop". `make wheelhouse` -> dist/wheelhouse/ (wheels pinned by hash in
# requirements.lock, an `install` script that needs no network); `make bundle` -> dist/disclosure-workstation/
# (PyInstaller, one folder, no Python needed); `make package-test` builds both twice, compares the two builds
# and runs their smoke tests; `make sbom` writes the SBOM and licence texts into both (they are built with them);
# `make wheel` -> dist/disclosure_workstation-VERSION-cp311-cp311-PLATFORM.whl alone (the evaluation's hot modules
# compiled by mypyc, setup.py; DWS_MYPYC=0 builds the pure-Python py3-none-any wheel that `make test` runs);
# `make lock` refreshes requirements.lock, requirements-test.lock and packaging/build.lock (`make lock UPGRADE=1`
# takes newer versions).
PKG_VENV  := build/packaging/venv
PKG_BIN   := $(PKG_VENV)/bin
PKG_STAMP := $(PKG_VENV)/.installed
# pip reads no configuration file, no machine-wide find-links and no extra index: what is locked and shipped
# comes from PyPI alone (or from PIP_INDEX_URL, an office mirror of it).
PIP_CLEAN := env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT -u PIP_NO_INDEX \
             PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1
PIP_COMPILE := $(PIP_CLEAN) CUSTOM_COMPILE_COMMAND="make lock" $(PKG_BIN)/pip-compile --quiet --generate-hashes \
               --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)

# Reproducible builds (issue 23): every packaging step runs with SOURCE_DATE_EPOCH, the last commit's time (the
# times of the files in the wheel), and a fixed hash seed (as PyInstaller's manual asks for reproducible
# bundles); two builds of one commit give the same wheel, byte for byte (tests/test_reproducible.py). Outside a
# git checkout: make wheelhouse SOURCE_DATE_EPOCH=<the release's time, seconds since 1970>.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
REPRO := SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) PYTHONHASHSEED=0

$(PKG_STAMP): packaging/build.lock
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@test -x $(PKG_BIN)/python || $(PYTHON) -m venv $(PKG_VENV)
	$(PIP_CLEAN) $(PKG_BIN)/python -m pip install --quiet --require-hashes -r packaging/build.lock
	@touch $(PKG_STAMP)

lock: $(PKG_STAMP)
	$(PIP_COMPILE) -o requirements.lock pyproject.toml packaging/installer.in
	$(PIP_COMPILE) -o packaging/build.lock packaging/build.in
	$(PIP_COMPILE) --extra test -o $(TEST_LOCK) pyproject.toml packaging/test.in

# The application's wheel alone, into dist/ (it prints its sha256).
wheel: $(PKG_STAMP)
	$(PIP_CLEAN) $(REPRO) $(PKG_BIN)/python packaging/build_wheelhouse.py --wheel-only dist

wheelhouse: $(PKG_STAMP)
	$(PIP_CLEAN) $(REPRO) $(PKG_BIN)/python packaging/build_wheelhouse.py dist/wheelhouse

bundle: wheelhouse
	$(PIP_CLEAN) $(REPRO) $(PKG_BIN)/python packaging/build_bundle.py dist/wheelhouse dist/disclosure-workstation

# Both builds end with their SBOM and THIRD-PARTY-NOTICES (packaging/sbom.py) and a signed SHA256SUMS
# (packaging/release.py); `make sbom` writes them again for the folders in dist/ as they are (and signs again).
# The signing key: RELEASE_KEY=PATH (an ECDSA P-256 private key in PEM; RELEASE_KEY_PASSPHRASE if it has one);
# without it a throwaway key in build/packaging/ signs, and the build says so. Check a folder with
# `packaging/verify.sh FOLDER KEY.pem`.
export RELEASE_KEY RELEASE_KEY_PASSPHRASE
sbom: $(PKG_STAMP)
	$(PIP_CLEAN) $(REPRO) $(PKG_BIN)/python packaging/sbom.py --seal --wheelhouse dist/wheelhouse \
		$(if $(wildcard dist/disclosure-workstation/dws),--bundle dist/disclosure-workstation)

# Builds the wheelhouse and the bundle twice from this checkout and compares every file's sha256 (the second
# build's SHA256SUMS against the first's: packaging/compare_builds.py), then installs and runs them with the
# network blocked. Not part of CI (it takes minutes: README, "Installing on an offline desktop").
FIRST_BUILD := build/packaging/first-build
package-test: $(STAMP)
	$(BIN)/ruff check packaging setup.py tests/test_packaging.py tests/test_packaging_smoke.py tests/test_sbom.py \
		tests/test_compiled.py tests/test_reproducible.py
	rm -f dist/package-test-figures.json
	$(MAKE) --no-print-directory bundle
	rm -rf $(FIRST_BUILD) && mkdir -p $(FIRST_BUILD)
	cp dist/wheelhouse/SHA256SUMS $(FIRST_BUILD)/wheelhouse.SHA256SUMS
	cp dist/disclosure-workstation/SHA256SUMS $(FIRST_BUILD)/bundle.SHA256SUMS
	$(MAKE) --no-print-directory bundle
	DWS_PACKAGING_TESTS=1 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/test_packaging.py tests/test_packaging_smoke.py tests/test_sbom.py tests/test_reproducible.py
	$(BIN)/python packaging/compare_builds.py $(FIRST_BUILD) dist
	@echo "Figures (dist/package-test-figures.json):" && cat dist/package-test-figures.json
