"""The box's service files and installer (systemd/, install.sh).

systemd accepts every unit (`systemd-analyze verify`, against a root laid out the
way the box has it), and the checks would catch a typo; install.sh run twice into
a scratch root changes nothing the second time, keeps a venue's settings and
enables the units; shell, udev and Avahi files are checked by their own tools
where the machine has them.
"""

from __future__ import annotations

import argparse
import glob
import grp
import hashlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from qode import cli
from qode.config import SETTINGS

from helpers import privileged, remove_as_root, require_root, system_tool

ROOT = Path(__file__).resolve().parents[1]
SYSTEMD = ROOT / "systemd"
INSTALL = ROOT / "install.sh"
UNITS = ["qode.service", "qode-kiosk@.service", "qode-display.service"]
# What `systemd-analyze verify` is asked about: the template as a real kiosk.
VERIFIED = ["qode.service", "qode-kiosk@door.service", "qode-display.service"]
# Every program the units start, and who puts it on the box. The verify root gets a
# stub for exactly these, so a misspelt path in a unit still fails.
EXECUTABLES = {
    "/opt/qode/venv/bin/qode": "install.sh",
    "/usr/bin/cage": "apt-get install cage",
    "/usr/bin/curl": "apt-get install curl",
    "/usr/bin/setterm": "util-linux (always there)",
    "/usr/bin/caddy": "apt-get install caddy (install.sh does it)",
    "/usr/local/lib/qode/qode-publish-ca": "install.sh",
    "/usr/local/lib/qode/qode-display-session": "install.sh",
}
CADDY_DROPIN = "etc/systemd/system/caddy.service.d/qode.conf"
KIOSK_VARIABLES = {
    "QODE_KIOSK_SERVER", "QODE_KIOSK_QUEUE", "QODE_KIOSK_TOKEN", "QODE_KIOSK_PRINTER", "QODE_KIOSK_BUTTON",
    "QODE_KIOSK_PAPER", "QODE_KIOSK_LED", "QODE_KIOSK_WIFI_SSID", "QODE_KIOSK_WIFI_PASSWORD",
    "QODE_KIOSK_BUTTONS", "QODE_KIOSK_PRIORITY_BUTTON", "QODE_KIOSK_PRIORITY_SECONDS",  # issue 15
}
TIMEOUT = 60


def parse_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A unit file as {section: [(key, value), ...]}, keeping repeated keys; comments dropped."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        else:
            key, _, value = line.partition("=")
            current.append((key, value))
    return sections


def values(unit: dict, section: str, key: str) -> list[str]:
    return [v for k, v in unit.get(section, []) if k == key]


# --- systemd-analyze verify ------------------------------------------------------------


def _system_units() -> Path:
    for candidate in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")):
        if (candidate / "sysinit.target").exists():
            return candidate
    pytest.skip("no systemd unit directory with sysinit.target to verify against (is systemd installed?)")


@pytest.fixture
def verify_root(tmp_path):
    """A root like the box's: systemd's own units, stubs for the programs, our units in /etc."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    root = tmp_path / "root"
    shutil.copytree(_system_units(), root / "usr/lib/systemd/system", symlinks=True)
    for exe in EXECUTABLES:
        stub = root / exe.lstrip("/")
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("#!/bin/sh\nexit 0\n")
        stub.chmod(0o755)
    (root / "etc/systemd/system").mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(SYSTEMD / unit, root / "etc/systemd/system" / unit)

    def verify(unit: str) -> str:
        """Everything systemd-analyze says about `unit`, with its exit status; "" when clean."""
        done = subprocess.run([analyze, "verify", f"--root={root}", "--man=no", unit],
                              capture_output=True, text=True, timeout=TIMEOUT)
        said = (done.stdout + done.stderr).strip()
        return said if done.returncode == 0 else f"exit status {done.returncode}\n{said}"

    verify.units = root / "etc/systemd/system"
    return verify


@pytest.mark.parametrize("unit", VERIFIED)
def test_systemd_analyze_verify_accepts_the_unit(verify_root, unit):
    # Strict: any message at all (an unknown key is only a warning) is a failure.
    assert verify_root(unit) == ""


TYPOS = [
    ("qode.service", "Restart=on-failure", "Restrat=on-failure"),  # unknown key
    ("qode.service", "Restart=on-failure", "Restart=on-failur"),  # bad value
    ("qode.service", "[Service]", "[Servce]"),  # unknown section
    ("qode.service", "/opt/qode/venv/bin/qode serve", "/opt/qode/venv/bin/qdoe serve"),  # no such program
    ("qode-kiosk@.service", "StateDirectory=qode-kiosk/%i", "StateDirectory=qode-kiosk/%Z"),  # bad specifier
    ("qode-kiosk@.service", "SupplementaryGroups=", "SuplementaryGroups="),
    ("qode-display.service", "TTYVHangup=yes", "TTYVHangup=yse"),
    ("qode-display.service", "ExecStart=/usr/local/lib/qode/qode-display-session",
     "ExecStart=/usr/local/lib/qode/qode-display-sesion"),
]


@pytest.mark.parametrize(("unit", "good", "bad"), TYPOS, ids=[f"{u}:{b}" for u, _, b in TYPOS])
def test_verify_catches_a_typo(verify_root, unit, good, bad):
    """The check above is not a rubber stamp: one wrong character and it fails."""
    path = verify_root.units / unit
    text = path.read_text()
    assert good in text
    path.write_text(text.replace(good, bad, 1))
    instance = VERIFIED[UNITS.index(unit)]
    assert verify_root(instance) != ""


def test_systemd_accepts_caddy_with_qode_dropin(verify_root):
    """Debian's caddy.service (from the caddy package) with Qode's drop-in: clean, and typos caught."""
    if not (verify_root.units.parents[2] / "usr/lib/systemd/system/caddy.service").exists():
        pytest.skip("caddy.service is not installed here (apt-get install caddy; make test does it)")
    dropin = verify_root.units / "caddy.service.d" / "qode.conf"
    dropin.parent.mkdir()
    shutil.copy(SYSTEMD / "caddy-qode.conf", dropin)
    assert verify_root("caddy.service") == ""
    text = dropin.read_text()
    dropin.write_text(text.replace("qode-publish-ca", "qode-publish-cb"))
    assert verify_root("caddy.service") != ""


def test_caddy_dropin_and_publisher_agree_on_paths():
    unit = parse_unit(SYSTEMD / "caddy-qode.conf")
    assert values(unit, "Service", "ExecStart") == [
        "", "/usr/bin/caddy run --environ --config /etc/qode/Caddyfile --adapter caddyfile"]
    assert values(unit, "Service", "ExecStartPost") == ["+/usr/local/lib/qode/qode-publish-ca"]
    (data,) = [v.split("=", 1)[1] for v in values(unit, "Service", "Environment")
               if v.startswith("XDG_DATA_HOME=")]
    publisher = (SYSTEMD / "qode-publish-ca").read_text()
    assert f"{data}/caddy/pki/authorities/local/root.crt" in publisher  # where Caddy puts its CA
    default_ca = next(s.default for s in SETTINGS if s.name == "QODE_TLS_CA_FILE")
    assert f"to=${{QODE_PUBLISH_CA_TO:-{default_ca}}}" in publisher  # where Qode reads it


def test_caddyfile_is_what_the_box_needs():
    """The shipped Caddyfile as Caddy itself reads it, with the box's defaults (no variables set)."""
    import json

    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed (apt-get install caddy; make test does it)")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent"}
    done = subprocess.run([caddy, "adapt", "--config", str(SYSTEMD / "Caddyfile"), "--adapter", "caddyfile"],
                          capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    assert config["admin"]["disabled"] is True
    (server,) = config["apps"]["http"]["servers"].values()
    # IPv4 only: "tcp4/" (a plain 0.0.0.0 would listen on [::] too, where a guest picks endless addresses).
    assert server["listen"] == ["tcp4/0.0.0.0:8443"] and server["max_header_bytes"] == 16384
    assert server["read_header_timeout"] == 10 * 10**9 and server["read_timeout"] == 30 * 10**9
    assert server["idle_timeout"] == 120 * 10**9
    assert server["automatic_https"]["disable_redirects"] is True
    text = json.dumps(server)
    assert '"dial": "127.0.0.1:8000"' in text and '"handler": "reverse_proxy"' in text
    (route,) = server["routes"]
    (proxy,) = route["handle"]
    # Bodies read in full before Qode sees them (above QODE_MAX_BODY's 16 KiB), at most 128
    # connections to Qode (below QODE_HTTP_CONNECTIONS' 512), idle ones closed before Qode's 5 s.
    default = {s.name: s.default for s in SETTINGS}
    assert proxy["buffer_requests"] is True and proxy["max_buffer_size"] == 65536
    assert proxy["max_buffer_size"] >= int(default["QODE_MAX_BODY"])
    transport = proxy["transport"]
    assert transport["max_conns_per_host"] == 128 <= int(default["QODE_HTTP_CONNECTIONS"]) // 4
    assert transport["keep_alive"] == {"idle_timeout": 3 * 10**9, "max_idle_conns_per_host": 32}
    automation = config["apps"]["tls"]["automation"]
    assert automation["on_demand"]["ask"] == "http://127.0.0.1:8000/api/tls/ask"
    assert automation["on_demand"]["rate_limit"] == {"interval": 60 * 10**9, "burst": 5}
    (policy,) = automation["policies"]
    assert policy["on_demand"] is True and policy["issuers"][0]["module"] == "internal"
    assert config["apps"]["pki"]["certificate_authorities"]["local"]["install_trust"] is False


# --- What the units say ------------------------------------------------------------------


def test_watchdog_restarts_never_use_up_the_start_limit():
    """A box a hostile guest wedges again and again is restarted by the watchdog each time: those
    restarts must never reach the start limit, or the box would stay down after the attack."""
    unit = parse_unit(SYSTEMD / "qode.service")
    service, head = dict(unit["Service"]), dict(unit["Unit"])
    cycle = int(service["WatchdogSec"]) + int(service["RestartSec"])  # the fastest watchdog restart cycle
    starts_in_window = int(head["StartLimitIntervalSec"]) // cycle + 1
    assert starts_in_window < int(head["StartLimitBurst"])
    # ...while an install that fails at once (every RestartSec) still meets the limit.
    assert int(head["StartLimitIntervalSec"]) // int(service["RestartSec"]) + 1 > int(head["StartLimitBurst"])


def test_server_unit():
    unit = parse_unit(SYSTEMD / "qode.service")
    service = dict(unit["Service"])
    assert values(unit, "Service", "ExecStart") == ["/opt/qode/venv/bin/qode serve --port 8000"]
    assert service["User"] == "qode" and service["StateDirectory"] == "qode"
    assert "QODE_DATA_DIR=/var/lib/qode" in values(unit, "Service", "Environment")
    assert values(unit, "Service", "EnvironmentFile") == ["-/etc/qode/qode.env"]
    assert service["Restart"] == "on-failure"
    assert {"StartLimitIntervalSec", "StartLimitBurst"} <= {k for k, _ in unit["Unit"]}
    assert "network-online.target" in values(unit, "Unit", "Wants")
    # A Pi with no clock battery and no internet must not wait for NTP.
    assert not any("time-sync" in v for v in values(unit, "Unit", "After"))
    assert values(unit, "Install", "WantedBy") == ["multi-user.target"]
    # The hardening block is there, commented out.
    text = (SYSTEMD / "qode.service").read_text()
    for key in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes"):
        assert f"\n#{key}\n" in text
        assert key.split("=")[0] not in {k for k, _ in unit["Service"]}


def test_the_serve_flags_exist(monkeypatch):
    args = parsed(monkeypatch, values(parse_unit(SYSTEMD / "qode.service"), "Service", "ExecStart")[0])
    assert args.command == "serve" and args.port == 8000


def test_kiosk_unit():
    unit = parse_unit(SYSTEMD / "qode-kiosk@.service")
    service = dict(unit["Service"])
    assert values(unit, "Service", "ExecStart") == ["/opt/qode/venv/bin/qode kiosk"]
    assert service["User"] == "qode"
    assert service["SupplementaryGroups"].split() == ["lp", "dialout", "gpio"]
    assert values(unit, "Service", "EnvironmentFile") == ["/etc/qode/kiosk-%i.env"]
    assert service["Restart"] == "always" and "RestartSec" in service
    # A setting that cannot work (qode_kiosk.gpio.EX_CONFIG) stops it instead of a restart loop.
    from qode_kiosk.gpio import EX_CONFIG

    assert service["RestartPreventExitStatus"] == str(EX_CONFIG) == "78"
    assert "PrivateDevices" not in service and "DevicePolicy" not in service  # it must reach the printer
    assert "qode.service" in values(unit, "Unit", "After")
    # Never Requires= (a kiosk may sit on a second box) nor Wants= (which would start an
    # empty server on that box, where qode.service is installed but disabled).
    assert not [v for k, v in unit["Unit"] if k in ("Requires", "Wants", "BindsTo") and "qode.service" in v]


def test_the_kiosk_command(monkeypatch, capsys):
    """`qode kiosk` with no flags is what the unit runs (the kiosk work adds the command)."""
    try:
        args = parsed(monkeypatch, "/opt/qode/venv/bin/qode kiosk")
    except SystemExit:
        if "invalid choice: 'kiosk'" in capsys.readouterr().err:
            pytest.skip("`qode kiosk` does not exist yet: qode-kiosk@.service runs it with no flags")
        raise
    assert args.command == "kiosk"


def test_display_unit():
    unit = parse_unit(SYSTEMD / "qode-display.service")
    service = dict(unit["Service"])
    (start,) = values(unit, "Service", "ExecStart")
    # cage, through the wrapper that picks a software renderer on a box without a GPU.
    assert start.startswith("/usr/local/lib/qode/qode-display-session /usr/bin/cage ")
    for flag in ("--kiosk", "--noerrdialogs", "--disable-infobars", "--no-first-run",
                 "--autoplay-policy=no-user-gesture-required", "--disable-features=Translate",
                 "--check-for-update-interval=31536000"):
        assert f" {flag} " in start
    assert start.endswith(" ${QODE_DISPLAY_URL}")
    assert values(unit, "Service", "EnvironmentFile") == ["-/etc/qode/display.env"]
    assert service["User"] == "qode-display"  # not qode: the browser cannot touch the database
    assert service["TTYPath"] == "/dev/tty1" and service["PAMName"] == "login"
    assert service["Restart"] == "always"
    assert "getty@tty1.service" in values(unit, "Unit", "Conflicts")
    assert any("setterm" in v and "--blank 0" in v for v in values(unit, "Service", "ExecStartPre"))


@pytest.mark.parametrize("unit", [*UNITS, "caddy-qode.conf"])
def test_every_directive_is_explained(unit):
    """House style: each group of directives starts under a comment saying why."""
    previous = ""
    for number, line in enumerate((SYSTEMD / unit).read_text().splitlines(), 1):
        if re.match(r"^[A-Za-z]+=", line):
            assert previous.startswith("#") or re.match(r"^[A-Za-z]+=", previous), f"{unit}:{number}: {line}"
        previous = line


def parsed(monkeypatch, command_line: str) -> argparse.Namespace:
    """What `qode`'s own parser makes of a unit's command line (nothing is run)."""

    class Parsed(Exception):
        pass

    original = argparse.ArgumentParser.parse_args

    def capture(self, args=None, namespace=None):
        raise Parsed(original(self, args, namespace))

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", capture)
    with pytest.raises(Parsed) as got:
        cli.main(command_line.split()[1:])
    return got.value.args[0]


# --- Settings templates ------------------------------------------------------------------


def env_names(path: Path, commented: bool = True) -> set[str]:
    pattern = r"^#?([A-Z][A-Z0-9_]*)=" if commented else r"^([A-Z][A-Z0-9_]*)="
    return set(re.findall(pattern, path.read_text(), re.M))


def env_values(path: Path, commented: bool = False) -> dict[str, str]:
    """NAME=value lines as systemd reads them (these files use no quotes); later lines win."""
    pattern = r"^#?([A-Z][A-Z0-9_]*)=(.*)$" if commented else r"^([A-Z][A-Z0-9_]*)=(.*)$"
    return dict(re.findall(pattern, path.read_text(), re.M))


def test_kiosk_env_example_is_the_contract():
    assert env_names(SYSTEMD / "kiosk.env.example") == KIOSK_VARIABLES


@pytest.mark.parametrize("commented", [False, True], ids=["as shipped", "examples uncommented"])
def test_the_kiosk_accepts_its_example_settings(commented):
    """The file a venue starts from loads in the kiosk daemon, and so do the commented examples."""
    try:
        from qode_kiosk import config as kiosk_config
    except ImportError:
        pytest.skip("the kiosk's settings (qode_kiosk.config) do not exist yet")
    settings = env_values(SYSTEMD / "kiosk.env.example", commented)
    assert set(settings) <= {s.name for s in kiosk_config.SETTINGS}
    loaded = kiosk_config.load(env=settings)
    assert not loaded.configured  # no token yet: the kiosk prints its setup ticket


def test_qode_env_example_names_real_settings():
    names = env_names(SYSTEMD / "qode.env.example")
    assert names <= {s.name for s in SETTINGS}, names - {s.name for s in SETTINGS}
    assert {"QODE_PUBLIC_URL", "QODE_TIMEZONE", "QODE_ADMIN_TOKEN", "QODE_BACKUP_KEEP"} <= names
    assert "QODE_DATA_DIR" not in names  # the unit sets it; the file would override it


def test_display_env_example_matches_the_unit():
    names = env_names(SYSTEMD / "display.env.example")
    unit = (SYSTEMD / "qode-display.service").read_text()
    assert "QODE_DISPLAY_URL" in env_names(SYSTEMD / "display.env.example", commented=False)
    for name in names:
        assert f"Environment={name}=" in unit, f"{name} has no default in the unit"


# --- udev rule and Avahi file ------------------------------------------------------------

RULE = SYSTEMD / "99-qode-printer.rules"


def rule_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_udev_rule_gives_printers_to_lp():
    (rule,) = rule_lines(RULE.read_text())
    pairs = dict(re.findall(r'([A-Z]+(?:\{[^}]+\})?)(?:==|\+=|=)"([^"]*)"', rule))
    assert pairs["SUBSYSTEM"] == "usb" and pairs["ENV{DEVTYPE}"] == "usb_device"
    assert pairs["ENV{ID_USB_INTERFACES}"] == "*:07????:*"  # interface class 07: printers
    assert pairs["GROUP"] == "lp" and pairs["MODE"] == "0660"
    assert pairs["SYMLINK"].startswith("qode-printer-")


def _udev_check(tmp_path, text: str) -> str:
    """What udev's own rule parser says about a rules file: `udevadm test` reads only that
    file (bound over the rules folders in a private mount namespace, so the machine's
    udev is untouched and no other rule runs)."""
    udevadm, unshare = system_tool("udevadm"), system_tool("unshare")
    if udevadm is None:
        pytest.skip("udevadm is not installed (Debian package udev)")
    if unshare is None:
        pytest.skip("unshare is not installed (util-linux)")
    require_root()  # a private mount namespace: as root, or through sudo
    devices = sorted(Path("/sys/class/net").glob("*"))
    if not devices:
        pytest.skip("no device in /sys/class/net for `udevadm test` to simulate")
    rules, empty = tmp_path / "rules", tmp_path / "empty"
    rules.mkdir()
    empty.mkdir()
    (rules / RULE.name).write_text(text)
    script = (f"mount --bind {rules} /etc/udev/rules.d && mount --bind {empty} /usr/lib/udev/rules.d && "
              f"exec {udevadm} test {devices[0]}")
    done = subprocess.run(privileged([unshare, "--mount", "sh", "-c", script]), capture_output=True, text=True,
                          timeout=TIMEOUT)
    output = done.stdout + done.stderr
    if f"Reading rules file: /etc/udev/rules.d/{RULE.name}" not in output:
        pytest.skip(f"udevadm test could not be run here: {output.strip()[-300:]}")
    return "\n".join(line for line in output.splitlines() if f"{RULE.name}:" in line)


def test_udev_parses_the_rule(tmp_path):
    assert _udev_check(tmp_path, RULE.read_text()) == ""


def test_udev_parses_the_example_for_vendor_specific_printers(tmp_path):
    """The commented line venues copy into a file of their own works once uncommented."""
    (example,) = [line[1:] for line in RULE.read_text().splitlines() if line.startswith("#SUBSYSTEM==")]
    assert 'GROUP="lp", MODE="0660"' in example
    assert _udev_check(tmp_path, example + "\n") == ""


def test_udev_parses_the_gpio_rule(tmp_path):
    text = (SYSTEMD / "99-qode-gpio.rules").read_text()
    said = _udev_check(tmp_path, text)
    try:
        grp.getgrnam("gpio")
    except KeyError:  # this machine has no group gpio (install.sh creates it on the box): udev says so
        assert re.fullmatch(rf"/etc/udev/rules.d/{RULE.name}:\d+ Unknown group 'gpio', ignoring", said), said
        # ... and with a group that exists here, the rule parses without a word.
        (tmp_path / "lp").mkdir()
        assert _udev_check(tmp_path / "lp", text.replace('GROUP="gpio"', 'GROUP="lp"')) == ""
    else:
        assert said == ""


def test_gpio_rule_gives_the_chips_to_group_gpio():
    """Plain Debian leaves /dev/gpiochip* to root; the kiosk (group gpio) must open them."""
    rules = [line for line in (SYSTEMD / "99-qode-gpio.rules").read_text().splitlines()
             if line and not line.startswith("#")]
    assert rules == ['SUBSYSTEM=="gpio", KERNEL=="gpiochip[0-9]*", GROUP="gpio", MODE="0660"']
    kiosk = parse_unit(SYSTEMD / "qode-kiosk@.service")
    assert "gpio" in values(kiosk, "Service", "SupplementaryGroups")[0].split()


def test_udev_check_catches_a_typo(tmp_path):
    assert "GRUOP" in _udev_check(tmp_path, RULE.read_text().replace('GROUP="lp"', 'GRUOP="lp"'))


def test_avahi_file():
    path = SYSTEMD / "qode.avahi.service"
    tree = ET.parse(path).getroot()
    name = tree.find("name")
    assert name.text == "Qode on %h" and name.get("replace-wildcards") == "yes"
    assert tree.findtext("service/type") == "_http._tcp"
    assert tree.findtext("service/port") == "8000"
    dtd = Path("/usr/share/avahi/avahi-service.dtd")
    if shutil.which("xmllint") and dtd.exists():
        done = subprocess.run(["xmllint", "--noout", "--nonet", "--dtdvalid", str(dtd), str(path)],
                              capture_output=True, text=True, timeout=TIMEOUT)
        errors = [line for line in done.stderr.splitlines() if "failed to load external entity" not in line
                  and "<!DOCTYPE" not in line and line.strip() != "^"]
        assert done.returncode == 0 and not errors, done.stderr


# --- install.sh -----------------------------------------------------------------------------


def test_install_sh_parses_and_is_shellcheck_clean():
    done = subprocess.run(["bash", "-n", str(INSTALL)], capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck); bash -n passed")
    done = subprocess.run(["shellcheck", str(INSTALL)], capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stdout


def scratch_root(tmp_path: Path) -> Path:
    """An empty root with the account files of a fresh Debian (no qode, no gpio group)."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    groups = {"root": 0, "lp": 7, "dialout": 20, "audio": 29, "video": 44, "input": 101, "render": 102}
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc/shadow").write_text("root:*:19000:0:99999:7:::\n")
    (root / "etc/group").write_text("".join(f"{g}:x:{gid}:\n" for g, gid in groups.items()))
    (root / "etc/gshadow").write_text("".join(f"{g}:*::\n" for g in groups))
    (root / "etc/shadow").chmod(0o640)
    (root / "etc/gshadow").chmod(0o640)
    return root


def install(root: Path | None, *args: str, user: str | None = None, script: Path = INSTALL,
            as_root: bool = False) -> subprocess.CompletedProcess:
    """install.sh (or a copy, `script`) without the Python environment (no pip, no network), into `root`;
    `as_root`: through `sudo -n` when the tests are not root."""
    if shutil.which("systemctl") is None:
        pytest.skip("systemctl is not installed (install.sh enables units with `systemctl --root`)")
    env = {**os.environ, "QODE_SKIP_VENV": "1"}
    if root is not None:
        env["QODE_ROOT"] = str(root)
    else:
        env.pop("QODE_ROOT", None)
    command = [str(script), *args]
    if as_root:
        command = privileged(command, env={k: v for k, v in env.items() if k.startswith("QODE_")})
    if user is not None:
        command = ["setpriv", f"--reuid={user}", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=TIMEOUT,
                          cwd="/" if user is not None else None)


def tree(root: Path) -> dict[str, str]:
    """Every path under root with its type, mode, owner and content hash (or link target)."""
    listing = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        key = str(path.relative_to(root))
        if stat.S_ISLNK(info.st_mode):
            listing[key] = f"link -> {os.readlink(path)}"
        elif stat.S_ISDIR(info.st_mode):
            listing[key] = f"dir {stat.S_IMODE(info.st_mode):o} {info.st_uid}:{info.st_gid}"
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            listing[key] = f"file {stat.S_IMODE(info.st_mode):o} {info.st_uid}:{info.st_gid} {digest}"
    return listing


def test_install_twice_changes_nothing_and_keeps_the_venues_settings(tmp_path):
    root = scratch_root(tmp_path)
    first = install(root, "--kiosk", "door", "--display")
    assert first.returncode == 0, first.stdout + first.stderr

    # Installed as shipped, secrets private, the rest readable.
    for source, dest, mode in [
        ("qode.service", "etc/systemd/system/qode.service", 0o644),
        ("qode-kiosk@.service", "etc/systemd/system/qode-kiosk@.service", 0o644),
        ("qode-display.service", "etc/systemd/system/qode-display.service", 0o644),
        ("99-qode-printer.rules", "etc/udev/rules.d/99-qode-printer.rules", 0o644),
        ("99-qode-gpio.rules", "etc/udev/rules.d/99-qode-gpio.rules", 0o644),
        ("qode.avahi.service", "etc/avahi/services/qode.service", 0o644),
        ("qode.env.example", "etc/qode/qode.env", 0o600),
        ("display.env.example", "etc/qode/display.env", 0o600),
        ("kiosk.env.example", "etc/qode/kiosk-door.env", 0o600),
        ("kiosk.env.example", "etc/qode/kiosk.env.example", 0o644),
        ("Caddyfile", "etc/qode/Caddyfile", 0o644),
        ("caddy-qode.conf", CADDY_DROPIN, 0o644),
        ("qode-publish-ca", "usr/local/lib/qode/qode-publish-ca", 0o755),
        ("qode-display-session", "usr/local/lib/qode/qode-display-session", 0o755),
    ]:
        assert (root / dest).read_bytes() == (SYSTEMD / source).read_bytes(), dest
        assert stat.S_IMODE((root / dest).stat().st_mode) == mode, dest
    assert (root / "usr/local/bin/qode").stat().st_mode & 0o111

    # Enabled: the symlinks `systemctl enable` makes, in the target's wants folder.
    wants = root / "etc/systemd/system/multi-user.target.wants"
    assert os.readlink(wants / "qode.service") == "/etc/systemd/system/qode.service"
    assert os.readlink(wants / "qode-kiosk@door.service") == "/etc/systemd/system/qode-kiosk@.service"
    assert os.readlink(wants / "qode-display.service") == "/etc/systemd/system/qode-display.service"

    # The venue edits its settings; a second run (an update) must keep them and change nothing.
    (root / "etc/qode/qode.env").write_text("QODE_PUBLIC_URL=http://192.168.1.20:8000\n")
    (root / "etc/qode/kiosk-door.env").write_text("QODE_KIOSK_QUEUE=abc\nQODE_KIOSK_TOKEN=secret\n")
    before = tree(root)
    second = install(root, "--kiosk", "door", "--display")
    assert second.returncode == 0, second.stdout + second.stderr
    assert tree(root) == before
    assert "(0 change(s))" in second.stdout
    assert "kept       /etc/qode/qode.env" in second.stdout
    assert (root / "etc/qode/qode.env").read_text() == "QODE_PUBLIC_URL=http://192.168.1.20:8000\n"


def test_install_creates_the_users(tmp_path):
    require_root()  # useradd --prefix under a scratch root: as root, or through sudo
    if system_tool("useradd") is None:
        pytest.skip("useradd is not installed (Debian package passwd)")
    root = scratch_root(tmp_path)
    try:
        _install_creates_the_users(root)
    finally:
        remove_as_root(root)  # root made files there when the tests are not root


def _install_creates_the_users(root: Path) -> None:
    done = install(root, as_root=True)
    assert done.returncode == 0, done.stdout + done.stderr
    passwd = {line.split(":")[0]: line.split(":") for line in (root / "etc/passwd").read_text().splitlines()}
    assert passwd["qode"][5:] == ["/var/lib/qode", "/usr/sbin/nologin"]
    assert passwd["qode-display"][5:] == ["/var/lib/qode-display", "/usr/sbin/nologin"]
    assert int(passwd["qode"][2]) < 1000  # a system user
    members = {line.split(":")[0]: line.split(":")[3].split(",")
               for line in (root / "etc/group").read_text().splitlines()}
    for group in ("lp", "dialout", "gpio"):  # gpio did not exist: it is created
        assert "qode" in members[group], group
    for group in ("video", "render", "input", "audio"):
        assert "qode-display" in members[group], group
    # Without the options, the server alone: no kiosk or display enabled.
    wants = sorted(p.name for p in (root / "etc/systemd/system/multi-user.target.wants").iterdir())
    assert wants == ["qode.service"]


def test_kiosk_only_enables_no_server(tmp_path):
    root = tmp_path / "root"
    done = install(root, "--kiosk-only", "--kiosk", "door")
    assert done.returncode == 0, done.stdout + done.stderr
    wants = sorted(p.name for p in (root / "etc/systemd/system/multi-user.target.wants").iterdir())
    assert wants == ["qode-kiosk@door.service"]
    assert not (root / "etc/avahi/services/qode.service").exists()  # nothing to announce
    assert not (root / "etc/qode/Caddyfile").exists() and not (root / CADDY_DROPIN).exists()  # no staff https


def test_install_refuses_clearly(tmp_path):
    bad = install(tmp_path / "root", "--kiosk", "front door")
    assert bad.returncode != 0 and "kiosk name 'front door'" in bad.stderr
    assert not (tmp_path / "root").exists()  # refused before touching anything
    if os.geteuid() != 0:  # a developer's own account is the user who is not root
        not_root = install(None)
        assert not_root.returncode != 0
        assert "must run as root: sudo" in not_root.stderr, not_root.stderr
    elif shutil.which("setpriv"):
        # As `nobody`, from a copy in a folder anyone may enter: the checkout itself may sit where
        # nobody cannot (a `mktemp -d` folder is 0700), and the refusal must not depend on that.
        public = Path(tempfile.mkdtemp(prefix="qode-install-"))
        try:
            public.chmod(0o755)
            copy = public / "install.sh"
            shutil.copy(INSTALL, copy)
            copy.chmod(0o755)
            not_root = install(None, user="nobody", script=copy)
        finally:
            shutil.rmtree(public)
        assert not_root.returncode != 0
        assert "must run as root: sudo" in not_root.stderr, not_root.stderr


# --- The display's needs ------------------------------------------------------------------

DISPLAY_PACKAGES = ["cage", "curl", "libpam-systemd", "polkitd", "xwayland", "fonts-dejavu-core", "chromium"]


def dpkg_status(root: Path, packages: list[str]) -> None:
    """A dpkg database under `root` in which `packages` are installed (what dpkg-query reads)."""
    (root / "var/lib/dpkg").mkdir(parents=True, exist_ok=True)
    (root / "var/lib/dpkg/status").write_text("".join(
        f"Package: {p}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n\n" for p in packages))


def test_display_names_every_package_it_needs(tmp_path):
    """Under QODE_ROOT nothing is installed: install.sh says what is missing, for apt-get."""
    if shutil.which("dpkg-query") is None:
        pytest.skip("dpkg-query is not installed (Debian package dpkg)")
    root = tmp_path / "root"
    dpkg_status(root, ["curl", "polkitd"])
    done = install(root, "--display")
    assert done.returncode == 0, done.stdout + done.stderr
    missing = [p for p in DISPLAY_PACKAGES if p not in ("curl", "polkitd")]
    assert (f"missing    {' '.join(missing)} (the screen): "
            f"sudo apt-get install --no-install-recommends {' '.join(missing)}") in done.stdout
    assert "package    curl" in done.stdout and "package    polkitd" in done.stdout
    # All there: nothing to install, so no apt-get (a box without network can run it again).
    dpkg_status(root, DISPLAY_PACKAGES)
    again = install(root, "--display")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "(the screen)" not in again.stdout and "package    chromium" in again.stdout, again.stdout
    # Without --display nothing is asked for.
    assert "the screen" not in install(tmp_path / "bare").stdout


def session(renderer: str | None) -> list[str]:
    """What qode-display-session runs: the renderer variables and the arguments it adds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WLR_")}
    if renderer is not None:
        env["QODE_DISPLAY_RENDERER"] = renderer
    done = subprocess.run([str(SYSTEMD / "qode-display-session"), "sh", "-c",
                           'echo "${WLR_RENDERER:-}|${WLR_RENDERER_ALLOW_SOFTWARE:-}|$*"', "cage"],
                          capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    return [done.stdout.strip(), done.stderr.strip()]


def test_display_session_draws_in_software_without_a_gpu():
    assert session("software")[0] == "pixman|1|--disable-gpu"  # cage with pixman, Chromium without GPU
    assert session("gpu") == ["||", ""]  # the command line as the unit gave it
    said = session("sideways")
    assert "expected auto, gpu or software" in said[1]
    assert said[0] == session("auto")[0] == session(None)[0]  # default and fallback: auto
    if not glob.glob("/dev/dri/renderD*"):  # this machine has no GPU at all, like the VM
        assert session(None)[0] == "pixman|1|--disable-gpu"


def test_display_session_is_shellcheck_clean():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    done = subprocess.run(["shellcheck", str(SYSTEMD / "qode-display-session")], capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert done.returncode == 0, done.stdout
