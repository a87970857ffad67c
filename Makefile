# The two commands: `make run` (a working demo) and `make test` (everything).
# Each sets itself up on a fresh machine: a virtualenv in .venv and the dependencies.

PYTHON ?= python3
NPM ?= npm
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FRONTEND := frontend
NODE_STAMP := $(FRONTEND)/node_modules/.installed-stamp
PAGES := server/qode/static/index.html
PAGE_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/index.html $(FRONTEND)/vite.config.js -type f 2>/dev/null)

.PHONY: run test lint bench install clean pages chromium nspawn caddy appliance appliance-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

$(NODE_STAMP): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && $(NPM) ci --no-audit --no-fund
	touch $@

# The pages (React + Vite + Tailwind) are built into server/qode/static, which Flask serves.
$(PAGES): $(NODE_STAMP) $(PAGE_SOURCES)
	cd $(FRONTEND) && $(NPM) run build

pages: $(PAGES)

# The end-to-end tests drive Debian's Chromium (no browser download is reachable), and the
# kiosk tests decode preview tickets' QR codes with Debian's zbar.
chromium:
	@command -v chromium >/dev/null && ldconfig -p | grep -q libzbar.so.0 || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libzbar0)

# The watchdog test boots the real qode.service in a Debian bookworm container under systemd
# (debootstrap builds the root once, into /var/cache/qode-test; systemd-nspawn boots it).
# shellcheck reads install.sh, which the same tests run into a scratch root.
nspawn:
	@command -v systemd-nspawn >/dev/null && command -v debootstrap >/dev/null && command -v shellcheck >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd-container debootstrap shellcheck)
# The TLS tests run Debian's Caddy (staff https in front of qode serve), as the box does,
# and capture the loopback traffic with tcpdump to show no staff token crosses it in clear.
caddy:
	@command -v caddy >/dev/null && command -v tcpdump >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy tcpdump)

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

test: $(STAMP) $(PAGES) chromium nspawn caddy
	$(BIN)/ruff check server kiosk tests
	cd $(FRONTEND) && $(NPM) test
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check server kiosk tests
	$(BIN)/ruff format --check server kiosk tests

bench: $(STAMP)
	$(BIN)/qode bench issue

clean:
	rm -rf $(VENV) build *.egg-info $(FRONTEND)/node_modules server/qode/static test-artifacts
