# The two commands: `make run` (a working demo) and `make test` (everything); `make check` is the quick one.
# Each sets itself up on a fresh machine: a virtualenv in .venv and the dependencies.

PYTHON ?= python3
NPM ?= npm
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FRONTEND := frontend
NODE_STAMP := $(FRONTEND)/node_modules/.installed-stamp
PAGES := server/qode/static/index.html
PAGE_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/scripts $(FRONTEND)/index.html $(FRONTEND)/vite.config.js -type f 2>/dev/null)

.PHONY: run test check perf lint bench install clean pages system-packages privileges appliance appliance-deps stress

$(STAMP): pyproject.toml bench/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]" -e ./bench
	touch $(STAMP)

$(NODE_STAMP): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && $(NPM) ci --no-audit --no-fund
	touch $@

# The pages (React + Vite + Tailwind) are built into server/qode/static, which Flask serves.
$(PAGES): $(NODE_STAMP) $(PAGE_SOURCES)
	cd $(FRONTEND) && $(NPM) run build

pages: $(PAGES)

# System packages, from Debian's apt (tested on Debian 12), without their recommends. What each
# is for is in README.md ("What make test installs"):
#   chromium, libzbar0      the end-to-end tests drive Debian's Chromium; zbar reads the tickets' QR codes
#   fonts-dejavu-core, libfribidi0
#                           the printed ticket's Arabic lines (a font with those letters, and the
#                           right-to-left layout Pillow loads)
#   caddy, tcpdump          the staff-https tests run the box's real proxy and capture the loopback wire
#   systemd-container, debootstrap
#                           the watchdog test boots qode.service under systemd in a Debian container
#   shellcheck              checks install.sh (so that test never skips)
#   espeak-ng, sox          the TV's spoken calls are made with espeak-ng; sox checks their length and level
#   gammu                   the text-message tests drive gammu against a fake modem on a pseudo-terminal
#   udev                    udevadm checks the printer rule (udev/) with udev's own parser
#   sudo                    only for a developer who is not root: apt-get and the tests' privileged
#                           commands (mount, systemd-nspawn, tcpdump) run through it
APT_PACKAGES := chromium libzbar0 fonts-dejavu-core libfribidi0 caddy tcpdump systemd-container debootstrap shellcheck espeak-ng sox gammu udev

system-packages:
	@missing=""; \
	for pkg in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "ok installed" || missing="$$missing $$pkg"; \
	done; \
	[ -n "$$missing" ] || exit 0; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "make: the tests need these Debian packages:$$missing. This Makefile installs them with" >&2; \
		echo "      apt-get (Debian 12 tested), which this system does not have: install their equivalents" >&2; \
		echo "      yourself, then run make again." >&2; \
		exit 1; \
	fi; \
	sudo=""; \
	if [ "$$(id -u)" != 0 ]; then \
		if ! command -v sudo >/dev/null 2>&1; then \
			echo "make: installing$$missing needs root: run make as root, or install sudo" >&2; \
			echo "      (as root: apt-get install sudo) and give yourself sudo rights." >&2; \
			exit 1; \
		fi; \
		sudo=sudo; \
	fi; \
	echo "make: installing Debian packages:$$missing (apt-get, --no-install-recommends)"; \
	$$sudo apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

# The tests that mount, boot containers or capture packets run those commands through `sudo -n`
# when you are not root (tests/helpers.py `privileged`): say so now rather than in a failed test.
privileges:
	@if [ "$$(id -u)" != 0 ] && ! sudo -n true 2>/dev/null; then \
		echo "make: make test runs mount, systemd-nspawn and tcpdump as root: run it as root, or as a" >&2; \
		echo "      user with passwordless sudo (README, \"The two commands\")." >&2; \
		exit 1; \
	fi

# The whole-box acceptance test (tests/appliance/run.py, docs/appliance.md): a Debian 12 image
# built with debootstrap (cached in /var/cache/qode-appliance), booted under QEMU, installed with
# install.sh and driven from outside. Needs root (debootstrap, chroot, mkfs); not part of `make test`.
APPLIANCE_DEBS := qemu-system-x86 qemu-utils debootstrap tesseract-ocr tesseract-ocr-eng openssh-client e2fsprogs
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
appliance-deps:
	@command -v apt-get >/dev/null || { echo "make appliance needs Debian's apt-get (qemu, debootstrap, tesseract)"; exit 1; }
	@command -v qemu-system-x86_64 >/dev/null && command -v qemu-img >/dev/null && command -v debootstrap >/dev/null && \
		command -v tesseract >/dev/null && command -v ssh >/dev/null || ($(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APPLIANCE_DEBS))

appliance: $(STAMP) $(PAGES) appliance-deps
	$(SUDO) $(BIN)/python tests/appliance/run.py $(APPLIANCE_ARGS)

install: $(STAMP) $(PAGES)

run: $(STAMP) $(PAGES)
	$(BIN)/qode serve --demo

# Everything but the speed figures, the pytest part spread over the cores (pytest-xdist); the tests
# that must have the machine to themselves run one after another in one worker (tests/conftest.py,
# "serial"). Tests marked `perf` assert a latency or throughput: `make perf` runs them.
PYTEST_WORKERS ?= auto
test: $(STAMP) $(PAGES) system-packages privileges
	$(BIN)/ruff check server kiosk common bench tests
	cd $(FRONTEND) && $(NPM) run lint
	cd $(FRONTEND) && $(NPM) test
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not perf"

# The quick loop: lint (ruff, ESLint), the page tests and the pytest tests that start no server and no browser
# (under 2 minutes on 2 cores). Needs no system packages.
check: $(STAMP) $(PAGES)
	$(BIN)/ruff check server kiosk common bench tests
	cd $(FRONTEND) && $(NPM) run lint
	cd $(FRONTEND) && $(NPM) test
	$(BIN)/pytest -q -m "not server and not slow and not perf" -n $(PYTEST_WORKERS)

# The speed figures that are tests (latency and throughput limits, marked `perf`), one at a time on
# a machine left alone: a busy machine fails them without anything being wrong. The benchmarks'
# own figures are `make bench` and `qode bench …`.
perf: $(STAMP) $(PAGES) system-packages
	$(BIN)/pytest -m perf

lint: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check server kiosk common bench tests
	$(BIN)/ruff format --check server kiosk common bench tests
	cd $(FRONTEND) && $(NPM) run lint

bench: $(STAMP)
	$(BIN)/qode bench issue

# The flake hunt (not in `make test`, ~25 min): the live and kiosk end-to-end suites, 20 runs in
# a row each, with two `yes` processes loading the CPUs (tests/repeat_under_load.py).
STRESS_RUNS ?= 20
stress: $(STAMP) $(PAGES) system-packages
	$(BIN)/python tests/repeat_under_load.py --runs $(STRESS_RUNS) --load 2 --workers 2 tests/test_live.py tests/test_live_server.py
	$(BIN)/python tests/repeat_under_load.py --runs $(STRESS_RUNS) --load 2 --workers 2 tests/test_kiosk_e2e.py

clean:
	rm -rf $(VENV) build *.egg-info $(FRONTEND)/node_modules server/qode/static test-artifacts
