#!/usr/bin/env bash
# Install Qode on a Raspberry Pi (Raspberry Pi OS or Debian 12 "bookworm") as a
# service that starts at boot. Run it from a Qode checkout:
#
#   sudo ./install.sh                    install from this checkout (run `make pages` first)
#   sudo ./install.sh dist/qode-*.whl    install a wheel built elsewhere
#   sudo ./install.sh --kiosk door       also set up and start the kiosk "door"
#   sudo ./install.sh --display          also show Qode on the screen (TV) at boot
#   sudo ./install.sh --kiosk-only       a second box with only a kiosk (no server)
#
# Safe to run again, e.g. to update: it changes only what differs, and it never
# overwrites the settings in /etc/qode/*.env once they exist. A new version goes
# into a fresh environment beside the old one (/opt/qode/venvs); on a box where Qode
# runs, through `qode update`, which goes back to the old version and its database
# by itself when the new one does not start (sudo qode update WHEEL does the same).
#
# For tests: QODE_ROOT=/some/dir puts every file under that folder instead of /
# and skips what cannot be done there (starting services, reloading udev);
# QODE_SKIP_VENV=1 leaves out the Python environment (no pip, no network);
# QODE_PYTHON picks the Python used for the environment (default python3).
#
# QODE_WHEELHOUSE=/dir: a box with no internet. pip then installs only from the wheels
# in that folder (pip --no-index --find-links /dir). Fill it on a computer with internet,
# for the box's Python and CPU (e.g. a Pi: --platform manylinux_2_34_aarch64):
#   pip download -d wheels dist/qode-*.whl 'gpiozero>=2,<3' 'lgpio>=0.2' setuptools wheel
# (setuptools and wheel: only to install from a checkout, which builds a wheel first).
set -euo pipefail
# Whatever umask sudo passes on, what we create must be readable by the services'
# users (qode reads the venv, avahi reads its folder); secrets get explicit modes.
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_UNITS="$HERE/systemd"

VENV=/opt/qode/venv              # a link to the environment of the version that runs (see step 3)
VENVS=/opt/qode/venvs            # one environment per version installed; the newest few are kept
KEEP_OLD=2                       # environments kept besides the running one, to go back to
STAMP="$VENV/.qode-installed"    # what is installed in the venv (a checkout's or a wheel's hash)
ETC=/etc/qode
UNIT_DIR=/etc/systemd/system
UDEV_RULE=/etc/udev/rules.d/99-qode-printer.rules
GPIO_RULE=/etc/udev/rules.d/99-qode-gpio.rules
AVAHI_FILE=/etc/avahi/services/qode.service
WRAPPER=/usr/local/bin/qode
PORT=8000
HTTPS_PORT=8443                                  # Caddy's staff https (systemd/Caddyfile)
CADDY_DROPIN=/etc/systemd/system/caddy.service.d/qode.conf
PUBLISH_CA=/usr/local/lib/qode/qode-publish-ca
DISPLAY_SESSION=/usr/local/lib/qode/qode-display-session

say() { printf '%s\n' "$*"; }
step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf '\ninstall.sh: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

on_error() {
    printf '\ninstall.sh stopped at line %s (exit status %s). What is above was done;\n' "$1" "$2" >&2
    printf 'fix the cause and run it again: running it twice is safe.\n' >&2
}
trap 'on_error "$LINENO" "$?"' ERR

# --- Arguments ---------------------------------------------------------------------

WHEEL=""
KIOSKS=()
WITH_DISPLAY=0
WITH_SERVER=1
while [ $# -gt 0 ]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --kiosk) [ $# -ge 2 ] || die "--kiosk needs a name, e.g. --kiosk door"; KIOSKS+=("$2"); shift ;;
        --kiosk=*) KIOSKS+=("${1#--kiosk=}") ;;
        --display) WITH_DISPLAY=1 ;;
        --kiosk-only) WITH_SERVER=0 ;;
        -*) die "unknown option $1 (see: ./install.sh --help)" ;;
        *.whl) [ -z "$WHEEL" ] || die "give one wheel only"; WHEEL=$1 ;;
        *) die "not a wheel (.whl) or an option: $1 (see: ./install.sh --help)" ;;
    esac
    shift
done
for name in "${KIOSKS[@]}"; do
    [[ $name =~ ^[A-Za-z0-9_-]{1,32}$ ]] ||
        die "kiosk name '$name': use 1 to 32 letters, digits, '-' or '_' (e.g. door)"
done

ROOT=${QODE_ROOT:-}
if [ -n "$ROOT" ]; then
    ROOT=$(realpath -m "$ROOT")
    [ "$ROOT" != / ] || ROOT=""
fi
LIVE=0; [ -n "$ROOT" ] || LIVE=1              # installing onto this system itself
BOOTED=0; [ "$LIVE" = 1 ] && [ -d /run/systemd/system ] && BOOTED=1   # systemd runs here (not a chroot)
IS_ROOT=0; [ "$(id -u)" = 0 ] && IS_ROOT=1
SKIP_VENV=${QODE_SKIP_VENV:-0}
PYTHON=${QODE_PYTHON:-python3}
WHEELHOUSE=${QODE_WHEELHOUSE:-}
CHANGES=0          # files and accounts changed by this run
CODE_CHANGED=0     # Qode itself was (re)installed
UNITS_CHANGED=0    # unit files changed
CADDY_CHANGED=0    # Caddy's config (Caddyfile, drop-in) changed

if [ "$LIVE" = 1 ] && [ "$IS_ROOT" = 0 ]; then
    die "this installs system services, so it must run as root: sudo $0 $*"
fi
[ -d "$SRC_UNITS" ] || die "no systemd/ folder next to install.sh: run it from a Qode checkout"
# A kiosk set up now or by an earlier run (its settings file exists) needs the `kiosk`
# extra: gpiozero and lgpio, for its button and LED.
WITH_KIOSK=0
if [ ${#KIOSKS[@]} -gt 0 ] || compgen -G "$ROOT/etc/qode/kiosk-*.env" >/dev/null; then WITH_KIOSK=1; fi
# Where pip finds packages: PyPI, or only the wheels in QODE_WHEELHOUSE.
PIP_FROM=()
if [ -n "$WHEELHOUSE" ]; then
    [ -d "$WHEELHOUSE" ] || die "QODE_WHEELHOUSE=$WHEELHOUSE is not a folder"
    PIP_FROM=(--no-index --find-links "$(realpath "$WHEELHOUSE")")
fi

say "Qode installer"
if [ "$LIVE" = 1 ]; then
    say "  installing onto this system"
else
    say "  installing under $ROOT (QODE_ROOT); services are enabled there, not started"
fi

# --- Helpers -------------------------------------------------------------------------

mode_of() { stat -c '%a' "$1"; }

# put_file SRC DEST MODE: install SRC as ROOT/DEST unless it is already there, the same.
put_file() {
    local src=$1 dest=$ROOT$2 mode=$3
    if [ -f "$dest" ] && cmp -s "$src" "$dest" && [ "$(mode_of "$dest")" = "$(printf '%o' "$((8#$mode))")" ]; then
        note "unchanged  $2"
        return 1
    fi
    install -D -m "$mode" "$src" "$dest"
    note "installed  $2"
    CHANGES=$((CHANGES + 1))
}

# put_once SRC DEST MODE: create ROOT/DEST from SRC only when it does not exist yet.
put_once() {
    local src=$1 dest=$ROOT$2 mode=$3
    if [ -e "$dest" ]; then
        note "kept       $2 (your settings: never overwritten)"
        return 0
    fi
    install -D -m "$mode" "$src" "$dest"
    note "created    $2 from $(basename "$src")"
    CHANGES=$((CHANGES + 1))
}

have_user() {
    if [ "$LIVE" = 1 ]; then getent passwd "$1" >/dev/null; else grep -q "^$1:" "$ROOT/etc/passwd"; fi
}
have_group() {
    if [ "$LIVE" = 1 ]; then getent group "$1" >/dev/null; else grep -q "^$1:" "$ROOT/etc/group"; fi
}
# in_group USER GROUP: USER is listed as a member of GROUP.
in_group() {
    local members
    if [ "$LIVE" = 1 ]; then members=$(getent group "$2" | cut -d: -f4); else
        members=$(grep "^$2:" "$ROOT/etc/group" | cut -d: -f4); fi
    [[ ",$members," == *",$1,"* ]]
}
# The account tools, pointed at ROOT's /etc when installing under a prefix.
accounts() {
    local tool=$1; shift
    if [ "$LIVE" = 1 ]; then "$tool" "$@"; else "$tool" --prefix "$ROOT" "$@"; fi
}
sysctl_() {
    if [ "$LIVE" = 1 ]; then systemctl "$@"; else systemctl --root="$ROOT" "$@"; fi
}

# A system user with its own group, no password, no login shell.
ensure_user() {
    local user=$1 home=$2 comment=$3
    if have_user "$user"; then
        note "exists     user $user"
    else
        accounts useradd --system --user-group --home-dir "$home" --no-create-home \
            --shell /usr/sbin/nologin --comment "$comment" "$user"
        note "created    user $user (home $home, no password, no login)"
        CHANGES=$((CHANGES + 1))
    fi
}
# ensure_groups USER GROUP...: add USER to each GROUP that exists on the system.
ensure_groups() {
    local user=$1 group missing=()
    shift
    for group in "$@"; do
        if ! have_group "$group"; then
            note "no group   $group on this system: skipped"
        elif in_group "$user" "$group"; then
            note "member     $user in $group"
        else
            missing+=("$group")
        fi
    done
    if [ ${#missing[@]} -gt 0 ]; then
        accounts usermod --append --groups "$(IFS=,; echo "${missing[*]}")" "$user"
        note "added      $user to ${missing[*]}"
        CHANGES=$((CHANGES + 1))
    fi
}

# service_do VERB UNIT: systemctl VERB UNIT, saying what happened; a failure is shown, not fatal.
service_do() {
    if systemctl "$1" "$2"; then
        note "done       systemctl $1 $2"
    else
        note "FAILED     systemctl $1 $2: see sudo journalctl -u '$2' -n 50"
    fi
}

enable_unit() {
    local unit=$1
    if [ "$(sysctl_ is-enabled "$unit" 2>/dev/null || true)" = enabled ]; then
        note "enabled    $unit (already)"
    else
        sysctl_ --quiet enable "$unit"
        note "enabled    $unit (starts at boot)"
        CHANGES=$((CHANGES + 1))
    fi
}

# prune_venvs PREVIOUS: keep the running environment, PREVIOUS and the newest others up to
# KEEP_OLD; remove the rest (names start with their UTC time, so they sort by age).
prune_venvs() {
    local previous=$1 current dir kept=0
    current=$(readlink -f "$ROOT$VENV")
    if [ -d "$previous" ] && [ "$previous" != "$current" ]; then kept=1; fi
    while IFS= read -r dir; do
        if [ "$dir" = "$current" ] || [ "$dir" = "$previous" ]; then continue; fi
        if [ "$kept" -lt "$KEEP_OLD" ]; then
            kept=$((kept + 1))
            continue
        fi
        rm -rf "$dir"
        note "removed    ${dir#"$ROOT"} (an older version)"
    done < <(find "$ROOT$VENVS" -mindepth 1 -maxdepth 1 -type d | LC_ALL=C sort -r)
}

# is_installed PACKAGE: dpkg has PACKAGE installed (in ROOT's package database when set).
is_installed() {
    command -v dpkg-query >/dev/null || return 1
    [ "$(dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# need_packages WHAT PACKAGE...: install the missing ones with apt-get, without recommends
# (nothing is fetched when all are there: a box without network can run this again).
need_packages() {
    local what=$1 package missing=()
    shift
    for package in "$@"; do
        if is_installed "$package"; then note "package    $package"; else missing+=("$package"); fi
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    if [ "$LIVE" = 1 ] && [ "$IS_ROOT" = 1 ] && command -v apt-get >/dev/null; then
        note "installing ${missing[*]} ($what) with apt-get, without recommends"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; then
            note "apt-get could not; updating its package lists once and trying again"
            { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } ||
                die "could not install ${missing[*]} ($what). Install them, then run this again:
    sudo apt-get install --no-install-recommends ${missing[*]}"
        fi
        CHANGES=$((CHANGES + 1))
    elif [ "$LIVE" = 1 ] && ! command -v apt-get >/dev/null; then
        die "${missing[*]} ($what) are missing and this system has no apt-get: install them with its own tools"
    else
        note "missing    ${missing[*]} ($what): sudo apt-get install --no-install-recommends ${missing[*]}"
    fi
}

# The browser the display runs: QODE_DISPLAY_BROWSER in display.env, or Chromium.
display_browser() {
    local browser
    browser=$( (grep -h '^QODE_DISPLAY_BROWSER=' "$ROOT$ETC/display.env" 2>/dev/null || true) | tail -n1 | cut -d= -f2-)
    printf '%s\n' "${browser:-/usr/bin/chromium}"
}

# --- 1. Check before changing anything ----------------------------------------------

step "Checking what is needed"
source_stamp=""
NEW_VERSION=""
if [ "$SKIP_VENV" = 1 ]; then
    note "QODE_SKIP_VENV=1: the Python environment $VENV is left out"
else
    command -v "$PYTHON" >/dev/null ||
        die "$PYTHON not found. Install it: sudo apt-get install python3 python3-venv"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        die "Qode needs Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1). Use Raspberry Pi OS/Debian 12 (bookworm) or newer."
    if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        if [ "$LIVE" = 1 ] && command -v apt-get >/dev/null; then
            note "installing python3-venv (Python's virtual environments) with apt-get"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv
        else
            die "Python's venv module is missing. Install it: sudo apt-get install python3-venv"
        fi
    fi
    note "python     $("$PYTHON" -V 2>&1)"
    if [ -n "$WHEEL" ]; then
        [ -f "$WHEEL" ] || die "no such wheel: $WHEEL"
        WHEEL=$(realpath "$WHEEL")
        "$PYTHON" - "$WHEEL" <<'EOF' || die "$WHEEL has no pages (qode/static/index.html): build it after \`make pages\`"
import sys, zipfile
sys.exit("qode/static/index.html" not in zipfile.ZipFile(sys.argv[1]).namelist())
EOF
        source_stamp="wheel $(sha256sum "$WHEEL" | cut -d' ' -f1)"
        NEW_VERSION=$(basename "$WHEEL" | cut -d- -f2)
        note "wheel      $WHEEL"
    else
        grep -qs '^name = "qode"' "$HERE/pyproject.toml" ||
            die "$HERE is not a Qode checkout; give a wheel instead: sudo ./install.sh qode-X.Y.Z-py3-none-any.whl"
        [ -f "$HERE/server/qode/static/index.html" ] ||
            die "the pages are not built in this checkout. Build them first, as your normal user (not root): make pages
    (it needs Node.js 20.19+; or build on another computer and copy server/qode/static here)"
        # A hash of everything that goes into the wheel: an unchanged checkout is not reinstalled.
        source_stamp="checkout $(cd "$HERE" && find pyproject.toml README.md server kiosk -type f \
            ! -path '*/__pycache__/*' ! -name '*.pyc' ! -path '*.egg-info/*' -print0 |
            LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
        NEW_VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$HERE/pyproject.toml" | head -n1)
        note "source     this checkout ($HERE, version ${NEW_VERSION:-unknown})"
    fi
    # The extras are part of what is installed: adding a kiosk later installs its extra.
    if [ "$WITH_KIOSK" = 1 ]; then
        source_stamp="$source_stamp extras=kiosk"
        note "extra      kiosk (gpiozero and lgpio: the kiosk's button and LED)"
    fi
    if [ -n "$WHEELHOUSE" ]; then note "packages   only from $WHEELHOUSE (QODE_WHEELHOUSE; no PyPI)"; fi
fi
# Staff devices reach the box over https through Caddy (Debian's package), which makes
# the box's own CA on its first start. Guests stay on plain http, straight to Qode.
if [ "$WITH_SERVER" = 1 ]; then
    if [ -x "$ROOT/usr/bin/caddy" ]; then
        note "caddy      $("$ROOT/usr/bin/caddy" version 2>/dev/null | cut -d' ' -f1 || echo present)"
    elif [ "$LIVE" = 1 ] && command -v apt-get >/dev/null; then
        note "installing caddy (the https address for staff devices) with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends caddy
        CHANGES=$((CHANGES + 1))
    else
        note "missing    /usr/bin/caddy: sudo apt-get install caddy (staff https on port $HTTPS_PORT)"
    fi
    # The TV's spoken calls (issue 16) are made on the box with espeak-ng. Installed when missing,
    # like caddy; but voice is optional, so a box with no network goes on without it (the TV then
    # only chimes) and says how to add it later.
    if is_installed espeak-ng; then
        note "package    espeak-ng (the TV's spoken calls)"
    elif [ "$LIVE" = 1 ] && [ "$IS_ROOT" = 1 ] && command -v apt-get >/dev/null; then
        note "installing espeak-ng (the TV's spoken calls) with apt-get, without recommends"
        if DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends espeak-ng; then
            CHANGES=$((CHANGES + 1))
        else
            note "could not install espeak-ng: the TV will chime without a voice until you run
    sudo apt-get install --no-install-recommends espeak-ng"
        fi
    else
        note "missing    espeak-ng (the TV's spoken calls): sudo apt-get install --no-install-recommends espeak-ng"
    fi
fi
if [ "$IS_ROOT" = 0 ]; then
    note "not root: users and groups are left out (fine for a test under QODE_ROOT)"
elif [ "$LIVE" = 0 ] && [ ! -f "$ROOT/etc/passwd" ]; then
    note "no $ROOT/etc/passwd: users and groups are left out"
fi
# The screen (--display) on a system without a desktop: cage (the kiosk compositor),
# Chromium, curl (waits for the page), libpam-systemd (the screen's login session),
# polkitd (logind asks it whether that session may take the screen: without it cage
# cannot start on plain Debian), xwayland (cage and Chromium want it) and a font.
# A kiosk prints Arabic (right-to-left) lines as pictures: a font with those letters and FriBiDi,
# which Pillow's text layout loads (without them the ticket prints in English, not backwards).
if [ "$WITH_KIOSK" = 1 ]; then
    need_packages "the printed ticket's right-to-left lines" fonts-dejavu-core libfribidi0
fi
if [ "$WITH_DISPLAY" = 1 ]; then
    display_packages=(cage curl libpam-systemd polkitd xwayland fonts-dejavu-core)
    browser=$(display_browser)
    if [ "$browser" = /usr/bin/chromium ] || [ ! -x "$ROOT$browser" ]; then display_packages+=(chromium); fi
    need_packages "the screen" "${display_packages[@]}"
fi
MANAGE_USERS=0
if [ "$IS_ROOT" = 1 ] && { [ "$LIVE" = 1 ] || [ -f "$ROOT/etc/passwd" ]; }; then MANAGE_USERS=1; fi

# --- 2. Users and groups ------------------------------------------------------------

step "Users and groups"
if [ "$MANAGE_USERS" = 1 ]; then
    # The kiosk unit lists gpio in SupplementaryGroups=, and a missing group would stop
    # it from starting. Raspberry Pi OS has gpio (it owns the Pi's pins); elsewhere we add it.
    if have_group gpio; then
        note "exists     group gpio"
    else
        accounts groupadd --system gpio
        note "created    group gpio (Raspberry Pi OS has it already; this system did not)"
        CHANGES=$((CHANGES + 1))
    fi
    ensure_user qode /var/lib/qode "Qode server and kiosks"
    ensure_groups qode lp dialout gpio
    ensure_user qode-display /var/lib/qode-display "Qode display (Chromium)"
    ensure_groups qode-display video render input audio
else
    note "skipped"
fi

# `sudo qode backup` etc.: qode as the service runs it (user, data folder, settings).
wrapper=$(mktemp)
cat >"$wrapper" <<EOF
#!/bin/sh
# Written by Qode's install.sh: runs \`qode\` the way qode.service does, as user
# qode, with the data in /var/lib/qode and the settings of $ETC/qode.env.
# Examples: sudo qode backup; sudo systemctl stop qode && sudo qode restore FILE;
# sudo qode update qode-X.Y.Z-py3-none-any.whl
set -eu
if [ "\$(id -u)" -ne 0 ]; then
    echo "qode: run it with sudo, e.g.: sudo qode backup" >&2
    exit 1
fi
if [ -r $ETC/qode.env ]; then
    # NAME=value lines, as systemd reads them; quotes around a value are dropped.
    while IFS= read -r line || [ -n "\$line" ]; do
        case \$line in QODE_*=*) ;; *) continue ;; esac
        name=\${line%%=*}
        value=\${line#*=}
        case \$value in \\"*\\") value=\${value#\\"}; value=\${value%\\"} ;; esac
        case \$value in \\'*\\') value=\${value#\\'}; value=\${value%\\'} ;; esac
        export "\$name=\$value"
    done <$ETC/qode.env
fi
export QODE_DATA_DIR=/var/lib/qode
# An update replaces the code in /opt/qode and restarts services: it runs as root (and here,
# so a wheel named relative to this folder is found).
if [ "\${1:-}" = update ]; then exec $VENV/bin/qode "\$@"; fi
cd /var/lib/qode 2>/dev/null || cd /
exec runuser -u qode -- $VENV/bin/qode "\$@"
EOF
put_file "$wrapper" "$WRAPPER" 0755 || true
rm -f "$wrapper"

# --- 3. Qode in its own Python environment -------------------------------------------
#
# One environment per version, $VENVS/<UTC time>-<version>, and $VENV a link to the one the
# units run: `qode update` (and this script) install a new version beside the running one and
# switch the link, so the previous version is still there to go back to.

step "Qode in $VENV"
if [ "$SKIP_VENV" = 1 ]; then
    note "skipped (QODE_SKIP_VENV=1)"
else
    # Older installs had the environment itself at $VENV: it becomes the first of $VENVS (its
    # scripts name $VENV/bin/python, which the link keeps working).
    if [ -d "$ROOT$VENV" ] && [ ! -L "$ROOT$VENV" ]; then
        moved="$VENVS/$(date -u +%Y%m%dT%H%M%SZ)-installed"
        install -d -m 0755 "$ROOT$VENVS"
        mv "$ROOT$VENV" "$ROOT$moved"
        ln -s "venvs/${moved##*/}" "$ROOT$VENV"
        note "moved      $VENV to $moved ($VENV is a link to it now)"
        CHANGES=$((CHANGES + 1))
    fi
    if [ -f "$ROOT$STAMP" ] && [ "$(cat "$ROOT$STAMP")" = "$source_stamp" ]; then
        note "unchanged  Qode $("$ROOT$VENV/bin/qode" --version 2>/dev/null | cut -d' ' -f2) is already this version"
    else
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        new="$VENVS/$(date -u +%Y%m%dT%H%M%SZ)-$NEW_VERSION"
        builder="$ROOT$VENV/bin/python"
        if ! "$builder" -m pip --version >/dev/null 2>&1; then
            install -d -m 0755 "$ROOT$VENVS"
            "$PYTHON" -m venv "$ROOT$new"
            note "created    $new"
            builder="$ROOT$new/bin/python"
        fi
        wheel=$WHEEL
        if [ -z "$wheel" ]; then
            note "building   the wheel from this checkout (in $work, the checkout stays clean)"
            mkdir "$work/src"
            tar -C "$HERE" -cf - --exclude=./.git --exclude=./.venv --exclude=./frontend \
                --exclude=./test-artifacts --exclude=./instance --exclude=./build --exclude=./dist \
                --exclude='*.egg-info' --exclude=__pycache__ --exclude=.hypothesis \
                --exclude=.pytest_cache --exclude=.ruff_cache --exclude=node_modules . |
                tar -C "$work/src" -xf -
            "$builder" -m pip wheel --quiet --no-deps --no-cache-dir \
                --disable-pip-version-check "${PIP_FROM[@]}" -w "$work/dist" "$work/src"
            wheel=$(echo "$work"/dist/qode-*.whl)
            [ -f "$wheel" ] || die "building the wheel made no qode-*.whl"
        fi
        if [ "$BOOTED" = 1 ] && [ "$WITH_SERVER" = 1 ] && systemctl --quiet is-active qode.service &&
            [ ! -d "$ROOT$new" ] && "$ROOT$VENV/bin/qode" update --help >/dev/null 2>&1; then
            # Qode serves here already: the update path, with its database copy, health check
            # and rollback (the same as `sudo qode update WHEEL`).
            note "updating   the running Qode with qode update (back by itself if it fails)"
            update_args=(update --stamp "$source_stamp")
            if [ "$WITH_KIOSK" = 1 ]; then update_args+=(--kiosk-extra); fi
            if [ -n "$WHEELHOUSE" ]; then update_args+=(--wheelhouse "$(realpath "$WHEELHOUSE")"); fi
            "$WRAPPER" "${update_args[@]}" "$wheel" ||
                die "the update did not go through (see above); the previous version still serves"
            CHANGES=$((CHANGES + 1))
        else
            if [ ! -d "$ROOT$new" ]; then
                install -d -m 0755 "$ROOT$VENVS"
                "$PYTHON" -m venv "$ROOT$new"
                note "created    $new"
            fi
            target=$wheel
            if [ "$WITH_KIOSK" = 1 ]; then target="${wheel}[kiosk]"; fi
            note "installing $(basename "$wheel") and its dependencies (a few minutes on a Pi;"
            if [ -n "$WHEELHOUSE" ]; then note "           from $WHEELHOUSE)"; else note "           needs the internet, for PyPI)"; fi
            "$ROOT$new/bin/python" -m pip install --quiet --no-cache-dir --disable-pip-version-check \
                "${PIP_FROM[@]}" "$target"
            printf '%s\n' "$source_stamp" >"$ROOT$new/.qode-installed"
            previous=$(readlink -f "$ROOT$VENV" 2>/dev/null || true)
            # Switch in one step: a new link renamed over the old one.
            ln -sfn "venvs/${new##*/}" "$ROOT$VENV.new"
            mv -T "$ROOT$VENV.new" "$ROOT$VENV"
            note "installed  $("$ROOT$VENV/bin/qode" --version) in $new ($VENV links to it)"
            prune_venvs "$previous"
            CHANGES=$((CHANGES + 1))
            CODE_CHANGED=1
        fi
    fi
fi


# --- 4. Settings ----------------------------------------------------------------------

step "Settings in $ETC"
install -d -m 0755 "$ROOT$ETC"
# The examples are documentation: always the current ones.
for example in qode.env.example kiosk.env.example display.env.example; do
    put_file "$SRC_UNITS/$example" "$ETC/$example" 0644 || true
done
# The settings themselves: written once, then they are the venue's (mode 0600: they
# may hold tokens and the Wi-Fi password; systemd reads them as root).
put_once "$SRC_UNITS/qode.env.example" "$ETC/qode.env" 0600
put_once "$SRC_UNITS/display.env.example" "$ETC/display.env" 0600
for name in "${KIOSKS[@]}"; do
    put_once "$SRC_UNITS/kiosk.env.example" "$ETC/kiosk-$name.env" 0600
done

# --- 5. Services, printer rule, network announcement -----------------------------------

step "Services (systemd), printer access (udev), announcement (Avahi)"
for unit in qode.service qode-kiosk@.service qode-display.service; do
    if put_file "$SRC_UNITS/$unit" "$UNIT_DIR/$unit" 0644; then UNITS_CHANGED=1; fi
done
put_file "$SRC_UNITS/99-qode-printer.rules" "$UDEV_RULE" 0644 || true
put_file "$SRC_UNITS/99-qode-gpio.rules" "$GPIO_RULE" 0644 || true
# The display's start: cage and Chromium with a software renderer where there is no GPU.
if put_file "$SRC_UNITS/qode-display-session" "$DISPLAY_SESSION" 0755; then UNITS_CHANGED=1; fi
if [ "$WITH_SERVER" = 1 ]; then
    put_file "$SRC_UNITS/qode.avahi.service" "$AVAHI_FILE" 0644 || true
    # Caddy for staff https: Qode's Caddyfile, a drop-in pointing Debian's caddy.service
    # at it, and the helper that copies the CA's certificate (not its key) to $ETC/ca.crt.
    if put_file "$SRC_UNITS/Caddyfile" "$ETC/Caddyfile" 0644; then CADDY_CHANGED=1; fi
    if put_file "$SRC_UNITS/caddy-qode.conf" "$CADDY_DROPIN" 0644; then CADDY_CHANGED=1; fi
    if put_file "$SRC_UNITS/qode-publish-ca" "$PUBLISH_CA" 0755; then CADDY_CHANGED=1; fi
else
    note "skipped    $AVAHI_FILE (--kiosk-only: no server here to announce)"
fi

step "Enabling services"
if [ "$WITH_SERVER" = 1 ]; then
    enable_unit qode.service
else
    note "not enabling qode.service (--kiosk-only). If a server was set up here before:"
    note "           sudo systemctl disable --now qode"
fi
for name in "${KIOSKS[@]}"; do
    enable_unit "qode-kiosk@$name.service"
done
if [ "$WITH_DISPLAY" = 1 ]; then
    enable_unit qode-display.service
    browser=$(display_browser)
    [ -x "$ROOT$browser" ] || note "missing    $browser: sudo apt-get install chromium (or set QODE_DISPLAY_BROWSER in $ETC/display.env)"
fi

# --- 6. Tell the running system ---------------------------------------------------------

step "Applying"
if [ "$BOOTED" = 1 ]; then
    systemctl daemon-reload
    note "reloaded   systemd"
    renewed=0   # a new version of Qode or of its units: what runs must restart to use it
    if [ "$CODE_CHANGED" = 1 ] || [ "$UNITS_CHANGED" = 1 ]; then renewed=1; fi
    if [ "$WITH_SERVER" = 1 ]; then
        if [ "$renewed" = 1 ]; then service_do restart qode.service; else service_do start qode.service; fi
        if systemctl cat caddy.service >/dev/null 2>&1; then
            if [ "$(systemctl is-enabled caddy.service 2>/dev/null || true)" != enabled ]; then
                service_do enable caddy.service
            fi
            if [ "$CADDY_CHANGED" = 1 ]; then service_do restart caddy.service; else service_do start caddy.service; fi
        else
            note "no caddy.service: staff https is not available (sudo apt-get install caddy, then run this again)"
        fi
    fi
    if [ "$renewed" = 1 ]; then
        service_do try-restart 'qode-kiosk@*.service'
        service_do try-restart qode-display.service
    fi
    for name in "${KIOSKS[@]}"; do
        service_do start "qode-kiosk@$name.service"
    done
    if [ "$WITH_DISPLAY" = 1 ] && ! systemctl --quiet is-active qode-display.service; then
        note "the display starts at the next boot, or now with: sudo systemctl start qode-display"
        note "           (it takes over the screen's text console, tty1)"
    fi
elif [ "$LIVE" = 1 ]; then
    note "systemd is not running here (a chroot or container): services start at the next boot"
else
    note "skipped    systemctl daemon-reload/start (installing under $ROOT)"
fi
if [ "$LIVE" = 1 ] && [ -S /run/udev/control ]; then
    udevadm control --reload
    udevadm trigger --subsystem-match=usb --action=change
    udevadm trigger --subsystem-match=gpio --action=change
    note "reloaded   udev rules (printers plugged in and GPIO chips get the new permissions)"
else
    note "skipped    udevadm control --reload (udev is not running here)"
fi

# --- 7. Where to go next ----------------------------------------------------------------

if [ "$BOOTED" = 1 ] && [ "$WITH_SERVER" = 1 ]; then
    step "Checking the server"
    if "$VENV/bin/python" - "$PORT" <<'EOF'
import sys, time, urllib.request
for _ in range(30):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2) as answer:
            sys.exit(answer.status != 200)
    except OSError:
        time.sleep(1)
sys.exit(1)
EOF
    then
        address=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -m1 '\.' || echo 127.0.0.1)
        note "Qode answers on http://$address:$PORT/ (guests)"
        if [ -s $ETC/ca.crt ]; then
            note "Staff devices use https://$address:$HTTPS_PORT/ after installing the box's"
            note "  certificate from http://$address:$PORT/ca.crt (docs/install-pi.md, step 7)"
            base="https://$address:$HTTPS_PORT"
        else
            note "The staff https address is not up yet (no $ETC/ca.crt): sudo journalctl -u caddy -n 50"
            base="http://$address:$PORT"
        fi
        if [ -r /var/lib/qode/admin_token ]; then
            note "Setup page (keep this link private, it holds the admin token):"
            note "  $base/setup#token=$(cat /var/lib/qode/admin_token)"
        fi
    else
        note "Qode does not answer yet. See why: sudo journalctl -u qode -n 50"
    fi
fi

step "Done ($CHANGES change(s))"
say "Settings:  sudo nano $ETC/qode.env   then: sudo systemctl restart qode"
say "Status:    systemctl status qode      Logs: sudo journalctl -u qode -f"
say "Kiosk:     sudo ./install.sh --kiosk door   (settings in $ETC/kiosk-door.env)"
say "Screen:    sudo ./install.sh --display      (page in $ETC/display.env)"
