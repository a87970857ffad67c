#!/usr/bin/env python3
"""The whole-box acceptance test (issue 12): a Debian 12 box under QEMU, installed and driven from outside.

    sudo make appliance            (or: sudo .venv/bin/python tests/appliance/run.py)

Steps: build (or reuse) the image, boot it, install.sh --kiosk door --display from a wheel, check the
units, press the kiosk's GPIO button through gpio-sim and see the ticket at a fake ESC/POS printer on
the host (guest /dev/ttyS1), read and call from the host through forwarded ports, OCR the TV's
screendump, reboot, cut the power during a burst of presses, a wrong GPIO pin, and an update to a
wheel that cannot start (rolled back). It prints a report with each step's time and PASS/FAIL and
exits non-zero on a failure. Every wait is bounded; QEMU and the fake printer are killed by PID at
the end whatever happens. Not collected by pytest (no test_ prefix): it needs root and ~25 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
import image  # noqa: E402

VENV_PY = Path(os.environ.get("QODE_APPLIANCE_PYTHON", sys.executable))
KIOSK = "door"
PIN = 17  # the button: BCM 17, as in the README
WRONG_PIN = 27  # must-show 2: the simulated chip has lines 0-27; this one is taken (see wrong_pin)
# The simulated button's pull: "pull-down" is a press (the button shorts the pin to ground).
PULL = f"line=$(ls /sys/devices/platform/gpio-sim.*/gpiochip*/sim_gpio{PIN}/pull | head -n1)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StepFailed(Exception):
    pass


def check(condition, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def wait_for(what: str, probe, timeout: float, interval: float = 2.0):
    """probe() until it returns something truthy; StepFailed after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            result = probe()
            if result:
                return result
            last = result
        except Exception as exc:  # noqa: BLE001 - the probe's failure is the reason we report
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            raise StepFailed(f"{what}: not within {timeout:.0f}s (last: {str(last)[-300:]})")
        time.sleep(interval)


# --- the report ------------------------------------------------------------------------------------


class Report:
    def __init__(self, log):
        self.rows: list[tuple[str, str, float, str]] = []
        self.log = log
        self.failed = False
        self.started = time.monotonic()

    @contextlib.contextmanager
    def step(self, name: str):
        if self.failed:
            self.rows.append((name, "SKIP", 0.0, "an earlier step failed"))
            yield False
            return
        print(f"\n=== {name}", flush=True)
        self.log.write(f"\n=== {name} ({time.strftime('%H:%M:%S')})\n")
        start = time.monotonic()
        self._notes: list[str] = []
        try:
            yield True
        except Exception as exc:  # noqa: BLE001
            self.failed = True
            detail = str(exc) if isinstance(exc, StepFailed) else traceback.format_exc(limit=3)
            self.rows.append((name, "FAIL", time.monotonic() - start, detail.strip()))
            print(f"    FAIL: {detail}", flush=True)
            self.log.write(f"FAIL: {detail}\n")
        else:
            self.rows.append((name, "PASS", time.monotonic() - start, "; ".join(self._notes)))
        self.log.flush()

    def note(self, text: str) -> None:
        print(f"    {text}", flush=True)
        self.log.write(f"{text}\n")
        self.log.flush()
        self._notes.append(text)

    def render(self) -> str:
        width = max(len(r[0]) for r in self.rows) if self.rows else 10
        lines = [f"{'step':<{width}}  result     time  details", "-" * (width + 40)]
        for name, result, seconds, detail in self.rows:
            lines.append(f"{name:<{width}}  {result:<6} {seconds:7.1f}s  {detail}")
        total = time.monotonic() - self.started
        lines.append("-" * (width + 40))
        lines.append(f"{'total':<{width}}  {'FAIL' if self.failed else 'PASS':<6} {total:7.1f}s")
        return "\n".join(lines)


# --- the fake printer on the host ------------------------------------------------------------------


class FakePrinter:
    """`python -m qode_bench.fakeprinter` on 127.0.0.1; QEMU connects the guest's ttyS1 to it."""

    def __init__(self, work: Path, port: int):
        self.port = port
        self.out = work / "fakeprinter.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": f"{REPO / 'kiosk'}:{REPO / 'server'}", "PYTHONUNBUFFERED": "1"}
        with open(self.out, "ab") as out:
            self.proc = subprocess.Popen(
                [str(VENV_PY), "-m", "qode_bench.fakeprinter", "--port", str(self.port)],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for("the fake printer listening",
                 lambda: "fake ESC/POS printer on" in self.out.read_text(), 30, 0.2)

    def tickets(self) -> list[str]:
        """The text of every ticket printed so far, in order."""
        return [block.split("\n", 1)[-1] for block in self.out.read_text().split("--- ticket ---")[1:]]

    def numbers(self) -> list[str]:
        found = []
        for text in self.tickets():
            match = re.search(r"\b([A-Z]\d{3,})\b", text)
            if match:
                found.append(match.group(1))
        return found

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


# --- the VM -----------------------------------------------------------------------------------------


class VM:
    def __init__(self, work: Path, img: Path, printer_port: int, log):
        self.work, self.img, self.log = work, img, log
        self.disk = work / "disk.qcow2"
        self.ssh_port, self.http_port, self.https_port = free_port(), free_port(), free_port()
        self.printer_port = printer_port
        self.qmp_path = work / "qmp.sock"
        self.console = work / "console.log"
        self.key = work / "id_ed25519"
        shutil.copy(img / "id_ed25519", self.key)
        self.key.chmod(0o600)
        self.proc: subprocess.Popen | None = None
        self.boots = 0

    def create_disk(self) -> None:
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw",
                        "-b", str(self.img / "disk.img"), str(self.disk)], check=True)

    def start(self) -> None:
        self.boots += 1
        fwd = (f"hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22,hostfwd=tcp:127.0.0.1:{self.http_port}-:8000,"
               f"hostfwd=tcp:127.0.0.1:{self.https_port}-:8443")
        cmd = [
            "qemu-system-x86_64", "-nodefaults", "-no-user-config", "-name", "qodebox",
            "-accel", "tcg,thread=multi", "-cpu", "max", "-smp", "2", "-m", "3072",
            "-kernel", str(self.img / "vmlinuz"), "-initrd", str(self.img / "initrd.img"),
            "-append", "root=/dev/vda rw console=ttyS0 net.ifnames=0 systemd.show_status=0 consoleblank=0",
            "-drive", f"file={self.disk},if=virtio,format=qcow2",
            "-netdev", f"user,id=n0,{fwd}", "-device", "virtio-net-pci,netdev=n0",
            "-device", "virtio-rng-pci",
            "-serial", f"file:{self.work / f'console-{self.boots}.log'}",
            "-chardev", f"socket,id=prn,host=127.0.0.1,port={self.printer_port},reconnect=1",
            "-serial", "chardev:prn",
            "-vga", "none", "-device", "virtio-gpu-pci,id=gpu0", "-display", "none",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
        ]
        self.log.write("$ " + shlex.join(cmd) + "\n")
        self.qmp_path.unlink(missing_ok=True)
        with open(self.work / "qemu.log", "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL QEMU: the box loses power (nothing is flushed, the guest gets no warning)."""
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def ssh(self, command: str, timeout: float = 120, check_rc: bool = True) -> subprocess.CompletedProcess:
        cmd = ["ssh", "-i", str(self.key), "-p", str(self.ssh_port), "-o", "StrictHostKeyChecking=no",
               "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
               "-o", "ConnectTimeout=15", "-o", "ServerAliveInterval=10", "root@127.0.0.1", command]
        self.log.write(f"guest$ {command}\n")
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        self.log.write(done.stdout[-4000:] + done.stderr[-4000:] + f"[exit {done.returncode}]\n")
        self.log.flush()
        if check_rc and done.returncode != 0:
            raise StepFailed(f"guest command failed ({done.returncode}): {command}\n{done.stdout[-1500:]}"
                             f"{done.stderr[-1500:]}")
        return done

    def put(self, files: list[Path], dest: str, timeout: float = 300) -> None:
        """Copy files and folders into the guest's `dest` (tar over ssh)."""
        tar = subprocess.Popen(["tar", "-C", str(files[0].parent), "-cf", "-", *[f.name for f in files]],
                               stdout=subprocess.PIPE)
        cmd = ["ssh", "-i", str(self.key), "-p", str(self.ssh_port), "-o", "StrictHostKeyChecking=no",
               "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
               "root@127.0.0.1", f"mkdir -p {dest} && tar -C {dest} -xf -"]
        done = subprocess.run(cmd, stdin=tar.stdout, capture_output=True, timeout=timeout)
        tar.wait(timeout=60)
        check(done.returncode == 0 and tar.returncode == 0, f"copy into the guest failed: {done.stderr[-500:]}")

    def wait_ssh(self, timeout: float) -> None:
        def probe():
            check(self.alive(), "QEMU exited")
            return self.ssh("true", timeout=30, check_rc=False).returncode == 0
        wait_for("ssh into the guest", probe, timeout, 3)

    def qmp(self, command: str, arguments: dict | None = None, timeout: float = 60) -> dict:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(timeout)
            s.connect(str(self.qmp_path))
            f = s.makefile("rw")
            json.loads(f.readline())  # the greeting
            for cmd in ({"execute": "qmp_capabilities"}, {"execute": command, "arguments": arguments or {}}):
                f.write(json.dumps(cmd) + "\n")
                f.flush()
                while True:
                    answer = json.loads(f.readline())
                    if "return" in answer or "error" in answer:
                        break
            check("return" in answer, f"QMP {command}: {answer}")
            return answer["return"]


# --- HTTP from the host -----------------------------------------------------------------------------


class Client:
    """The host talking to the box through the forwarded ports: guests on http, staff on https."""

    def __init__(self, vm: VM):
        self.vm = vm
        self.ca: Path | None = None

    def http(self, method: str, url: str, body=None, token=None, timeout=30, context=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        if body is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def guest(self, method: str, path: str, body=None, timeout=30):
        return self.http(method, f"http://127.0.0.1:{self.vm.http_port}{path}", body, timeout=timeout)

    def staff(self, method: str, path: str, token: str, body=None, timeout=30, headers=None):
        """Staff calls over https (port 8443 through Caddy), verified against the box's own CA."""
        context = ssl.create_default_context(cafile=str(self.ca))
        # The host reaches the box as 127.0.0.1:<forwarded port>; Caddy's certificate names the box's
        # own address, so the chain is checked against the box's CA and the name is not.
        context.check_hostname = False
        return self.http(method, f"https://127.0.0.1:{self.vm.https_port}{path}", body, token, timeout,
                         context, headers)


# --- host-side preparation --------------------------------------------------------------------------


def version_of(tree: Path) -> str:
    return re.search(r'^version = "([^"]+)"', (tree / "pyproject.toml").read_text(), re.M).group(1)


def build_wheel(tree: Path, out: Path, log) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    image.run([str(VENV_PY), "-m", "pip", "wheel", "--quiet", "--no-deps",
               "--disable-pip-version-check", "-w", str(out), str(tree)], log)
    wheels = sorted(out.glob("qode-*.whl"))
    check(len(wheels) == 1, f"expected one wheel in {out}, found {wheels}")
    return wheels[0]


def copy_tree(dest: Path) -> Path:
    """The checkout's files that go into a wheel (not .git, node_modules, venvs)."""
    by_name = shutil.ignore_patterns(".git", ".venv", "node_modules", "frontend", "test-artifacts", "instance",
                                     "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                     ".ruff_cache", ".hypothesis")

    def ignore(folder: str, names: list[str]) -> set[str]:
        # Only files, folders and links: a pipe or socket some tool left in the checkout cannot be copied.
        special = {n for n in names if not any(test(os.lstat(os.path.join(folder, n)).st_mode)
                                               for test in (stat.S_ISREG, stat.S_ISDIR, stat.S_ISLNK))}
        return by_name(folder, names) | special

    shutil.copytree(REPO, dest, ignore=ignore, symlinks=True)
    return dest


def broken_wheel(work: Path, log) -> tuple[Path, str]:
    """A wheel of a newer version whose server cannot start (its `serve` exits at once)."""
    tree = copy_tree(work / "broken-src")
    old = version_of(tree)
    new = f"{old}.post99"
    pyproject = tree / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(f'version = "{old}"', f'version = "{new}"', 1))
    init = tree / "server/qode/__init__.py"
    init.write_text(init.read_text().replace(f'__version__ = "{old}"', f'__version__ = "{new}"'))
    cli = tree / "server/qode/cli.py"
    text = cli.read_text()
    marker = "def serve(args: argparse.Namespace) -> int:\n"
    check(marker in text, "cli.py has no serve() to break")
    cli.write_text(text.replace(marker, marker + '    raise SystemExit("appliance test: this version is broken '
                                "on purpose and never serves\")\n", 1))
    return build_wheel(tree, work / "broken-dist", log), new


# --- the test -------------------------------------------------------------------------------------


class Box:
    """What the steps share."""

    def __init__(self, work: Path, report: Report, log, args):
        self.work, self.report, self.log, self.args = work, report, log, args
        self.printer = FakePrinter(work, free_port())
        self.vm: VM | None = None
        self.client: Client | None = None
        self.version = version_of(REPO)
        self.queue = ""
        self.host_token = ""
        self.printed_before_cut: list[str] = []

    # helpers

    def units_active(self, units: list[str]) -> dict:
        out = self.vm.ssh("systemctl is-active " + " ".join(units), check_rc=False).stdout.split()
        return dict(zip(units, out, strict=False))

    def wait_units(self, units: list[str], timeout: float) -> None:
        def probe():
            state = self.units_active(units)
            return all(v == "active" for v in state.values()) and len(state) == len(units) or state and None
        try:
            wait_for("every unit active", probe, timeout, 5)
        except StepFailed as exc:
            raise StepFailed(f"{exc}; states: {self.units_active(units)}") from None

    def press(self, hold: float = 0.3) -> None:
        self.vm.ssh(f"{PULL}; echo pull-down > $line; sleep {hold}; echo pull-up > $line", timeout=60)

    def healthz(self) -> dict:
        status, body = self.client.guest("GET", "/healthz", timeout=20)
        check(status == 200, f"/healthz answered {status}: {body}")
        return body

    def server_tickets(self) -> list[dict]:
        status, body = self.client.staff("GET", f"/api/queues/{self.queue}/tickets", self.host_token)
        check(status == 200, f"list tickets: {status} {body}")
        return body if isinstance(body, list) else body.get("tickets", body.get("items", []))

    def screen_text(self, name: str) -> str:
        ppm = self.work / f"{name}.ppm"
        ppm.unlink(missing_ok=True)
        self.vm.qmp("screendump", {"filename": str(ppm), "device": "gpu0"})
        done = subprocess.run(["tesseract", str(ppm), "-", "--psm", "11"], capture_output=True, text=True,
                              timeout=120)
        return done.stdout

    # steps

    def prepare_host(self) -> None:
        static = REPO / "server/qode/static/index.html"
        check(static.exists(), "the pages are not built: make pages")
        tree = copy_tree(self.work / "src")
        self.wheel = build_wheel(tree, self.work / "dist", self.log)
        self.wheelhouse = self.work / "wheelhouse"
        cached = self.args.cache / "wheelhouse"
        cached.mkdir(parents=True, exist_ok=True)
        # Dependencies as wheels, downloaded on the host once (pip's cache) and built where only an
        # sdist exists: the guest installs from this folder alone.
        image.run([str(VENV_PY), "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                   "--find-links", str(cached), "-w", str(cached), f"{self.wheel}[kiosk]", "gpiozero>=2,<3",
                   "lgpio>=0.2"], self.log)
        self.wheelhouse.mkdir()
        for wheel in cached.glob("*.whl"):
            if not wheel.name.startswith("qode-"):
                shutil.copy(wheel, self.wheelhouse)
        count = len(list(self.wheelhouse.glob("*.whl")))
        self.report.note(f"wheel {self.wheel.name}, {count} dependency wheels")

    def build_image(self) -> None:
        key = image.cache_key()
        cached = (self.args.cache / key / "done").exists()
        with open(self.work / "image-build.log", "w") as log:
            self.img = image.build(self.args.cache, log)
        self.report.note(f"{'cached' if cached else 'built'} {self.img}")

    def boot(self, first: bool = False) -> None:
        if first:
            self.printer.start()
            self.vm = VM(self.work, self.img, self.printer.port, self.log)
            self.vm.create_disk()
            self.client = Client(self.vm)
        self.vm.start()
        self.vm.wait_ssh(self.args.boot_timeout)
        self.report.note(f"ssh up, boot #{self.vm.boots}; kernel "
                         + self.vm.ssh("uname -r").stdout.strip())

    def install(self) -> None:
        vm = self.vm
        vm.put([self.wheel], "/root/dist")
        vm.put([self.wheelhouse], "/root")
        vm.put([REPO / "install.sh", REPO / "systemd"], "/root/qode")
        env = ("QODE_WHEELHOUSE=/root/wheelhouse PIP_NO_INDEX=1 PIP_FIND_LINKS=/root/wheelhouse")
        done = vm.ssh(f"cd /root/qode && {env} ./install.sh /root/dist/{self.wheel.name}"
                      f" --kiosk {KIOSK} --display", timeout=self.args.install_timeout)
        (self.work / "install.out").write_text(done.stdout + done.stderr)
        self.report.note("install.sh: " + done.stdout.strip().splitlines()[-5].strip())
        check(self.healthz()["version"] == self.version, "the box does not serve the installed version")

        # Set the box up like a venue would, from the host: staff over https with the box's CA.
        ca = self.work / "ca.crt"
        wait_for("the box's CA at /ca.crt", lambda: self._fetch_ca(ca), 120, 3)
        self.client.ca = ca
        admin = vm.ssh("cat /var/lib/qode/admin_token").stdout.strip()
        status, queue = self.client.staff("POST", "/api/queues", admin, {"name": "Appliance", "prefix": "A"},
                                          timeout=60)
        check(status == 201, f"create queue: {status} {queue}")
        self.queue, self.host_token = queue["id"], queue["host_token"]
        status, device = self.client.staff("POST", f"/api/queues/{self.queue}/devices", self.host_token,
                                           {"name": KIOSK, "kind": "kiosk"})
        check(status == 201, f"add kiosk: {status} {device}")
        kiosk_token = device["token"]
        settings = {"QODE_KIOSK_QUEUE": self.queue, "QODE_KIOSK_TOKEN": kiosk_token,
                    "QODE_KIOSK_PRINTER": "serial:/dev/ttyS1", "QODE_KIOSK_BUTTON": f"gpio:{PIN}"}
        self.set_env(f"/etc/qode/kiosk-{KIOSK}.env", settings)
        self.set_env("/etc/qode/display.env", {"QODE_DISPLAY_URL": f"http://127.0.0.1:8000/display/{self.queue}"})
        vm.ssh(f"systemctl restart qode-kiosk@{KIOSK} && systemctl restart qode-display")
        self.report.note(f"queue {self.queue}, kiosk on serial:/dev/ttyS1 with gpio:{PIN}")

    def _fetch_ca(self, dest: Path) -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.vm.http_port}/ca.crt", timeout=20) as answer:
            data = answer.read()
        if b"BEGIN CERTIFICATE" not in data:
            return False
        dest.write_bytes(data)
        return True

    def set_env(self, path: str, values: dict) -> None:
        """Set NAME=value lines in an env file on the box (others kept)."""
        names = "|".join(values)
        lines = "".join(f"{k}={v}\n" for k, v in values.items())
        self.vm.ssh(f"f={path}; grep -Ev '^({names})=' $f > $f.new || true;"
                    f" printf %s {shlex.quote(lines)} >> $f.new; cat $f.new > $f && rm $f.new")

    UNITS = ["qode.service", "caddy.service", f"qode-kiosk@{KIOSK}.service", "qode-display.service"]

    def units(self) -> None:
        self.wait_units(self.UNITS, self.args.units_timeout)
        failed = self.vm.ssh("systemctl list-units --failed --plain --no-legend").stdout.strip()
        check(not failed, f"failed units: {failed}")
        self.report.note("active: " + ", ".join(self.UNITS) + "; no failed unit")

    def button(self) -> None:
        def kiosk_ready():
            status, devices = self.client.staff("GET", f"/api/queues/{self.queue}/devices", self.host_token)
            kiosks = devices if isinstance(devices, list) else devices.get("devices", [])
            return status == 200 and any(d.get("connected") and d.get("printer") == "ready" for d in kiosks)
        wait_for("the kiosk connected with its printer ready", kiosk_ready, 180, 3)
        before = len(self.printer.tickets())
        start = time.monotonic()
        self.press()
        wait_for("a ticket at the fake printer", lambda: len(self.printer.tickets()) > before, 90, 0.5)
        number = self.printer.numbers()[-1]
        tickets = {t["display_number"]: t for t in self.server_tickets()}
        check(number in tickets, f"printed {number}, which the box does not know: {sorted(tickets)}")
        self.first_ticket = tickets[number]
        self.report.note(f"press -> {number} printed on the host's fake printer in "
                         f"{time.monotonic() - start:.1f}s (gpio-sim line {PIN}, gpiozero + lgpio, /dev/ttyS1)")

    def host_call(self) -> None:
        status, state = self.client.guest("GET", f"/api/queues/{self.queue}")
        check(status == 200 and state.get("waiting_count", state.get("waiting")) not in (0, None),
              f"public state: {status} {state}")
        status, ticket = self.client.guest("GET", f"/api/tickets/{self.first_ticket['id']}")
        check(status == 200 and ticket["status"].lower() == "waiting", f"guest status: {status} {ticket}")
        status, called = self.client.staff("POST", f"/api/queues/{self.queue}/call-next", self.host_token,
                                           {"counter": "2"}, headers={"Idempotency-Key": uuid.uuid4().hex})
        check(status == 200, f"call-next: {status} {called}")
        self.called = called.get("display_number") or called.get("ticket", {}).get("display_number")
        check(self.called == self.first_ticket["display_number"],
              f"called {called}, expected the pressed ticket")
        status, state = self.client.guest("GET", f"/api/queues/{self.queue}")
        self.report.note(f"status over http :{self.vm.http_port}->8000 ({state.get('waiting_count')} waiting), "
                         f"{self.called} called to counter 2 over https :{self.vm.https_port}->8443")

    def tv(self) -> None:
        start = time.monotonic()
        seen: list[str] = []

        def shows_number():
            text = self.screen_text("tv")
            seen.append(" ".join(text.split())[:200])
            return self.called in text.replace(" ", "")
        try:
            wait_for(f"{self.called} on the TV (OCR of the screendump)", shows_number, self.args.tv_timeout, 10)
        except StepFailed as exc:
            # What the screen's unit was doing, for the report's reader (the VM is gone afterwards).
            diag = self.vm.ssh("systemctl status qode-display --no-pager -l; journalctl -u qode-display -b"
                               " --no-pager -o short-monotonic | tail -n 60; ps aux --sort=-%cpu | head -n 15",
                               check_rc=False, timeout=120)
            (self.work / "tv-diagnostics.txt").write_text(diag.stdout + diag.stderr)
            raise StepFailed(f"{exc}; OCR saw: {seen[-1] if seen else ''} (see tv-diagnostics.txt)") from None
        shutil.copy(self.work / "tv.ppm", self.work / "tv-called.ppm")
        with contextlib.suppress(ImportError):  # Pillow comes with the venv (python-escpos needs it)
            from PIL import Image
            Image.open(self.work / "tv-called.ppm").save(self.work / "tv-called.png")
        self.report.note(f"{self.called} read by tesseract from a QMP screendump of gpu0 after "
                         f"{time.monotonic() - start:.0f}s ({len(seen)} screendumps)")

    def reboot(self) -> None:
        boots_before = self.vm.ssh("journalctl --list-boots --no-pager | wc -l").stdout.strip()
        self.vm.ssh("systemctl reboot", check_rc=False, timeout=30)
        wait_for("the guest going down",
                 lambda: self.vm.ssh("true", timeout=20, check_rc=False).returncode != 0, 120, 2)
        self.vm.wait_ssh(self.args.boot_timeout)
        check(self.vm.ssh("journalctl --list-boots --no-pager | wc -l").stdout.strip() != boots_before,
              "no new boot in the journal")
        self.wait_units(self.UNITS, self.args.units_timeout)
        check(self.healthz()["version"] == self.version, "wrong version after the reboot")
        before = len(self.printer.tickets())
        wait_for("the kiosk back", lambda: self._kiosk_connected(), 180, 3)
        self.press()
        wait_for("a ticket after the reboot", lambda: len(self.printer.tickets()) > before, 90, 0.5)
        self.report.note(f"units active again, /healthz {self.version}, a press printed "
                         f"{self.printer.numbers()[-1]}")

    def _kiosk_connected(self) -> bool:
        status, devices = self.client.staff("GET", f"/api/queues/{self.queue}/devices", self.host_token)
        kiosks = devices if isinstance(devices, list) else devices.get("devices", [])
        return status == 200 and any(d.get("connected") and d.get("printer") == "ready" for d in kiosks)

    def power_cut(self) -> None:
        before = len(self.printer.tickets())
        # A burst: a press every ~0.8 s, for longer than we wait. Runs in the guest, detached.
        self.vm.ssh(f"{PULL}; nohup sh -c \"for i in \\$(seq 60); do echo pull-down > $line; sleep 0.3; "
                    f"echo pull-up > $line; sleep 0.5; done\" >/dev/null 2>&1 &")
        wait_for("tickets printing in the burst", lambda: len(self.printer.tickets()) >= before + 4, 120, 0.2)
        self.vm.kill()
        time.sleep(2)  # bytes already in the socket still arrive
        printed = self.printer.numbers()[before:]
        self.report.note(f"QEMU killed (SIGKILL) after {len(printed)} tickets of the burst were printed "
                         f"({', '.join(printed)})")
        self.vm.start()
        self.vm.wait_ssh(self.args.boot_timeout)
        self.wait_units(["qode.service"], self.args.units_timeout)
        known = {t["display_number"] for t in self.server_tickets()}
        lost = [n for n in self.printer.numbers() if n not in known]
        check(not lost, f"printed but lost after the power cut: {lost}")
        integrity = self.vm.ssh("sqlite3 -readonly /var/lib/qode/qode.db 'PRAGMA integrity_check'")
        integrity = integrity.stdout.strip()
        check(integrity == "ok", f"integrity_check: {integrity}")
        self.report.note(f"all {len(self.printer.numbers())} printed tickets are on the box "
                         f"({len(known)} issued today); integrity_check: ok")

    def wrong_pin(self) -> None:
        kiosk = f"qode-kiosk@{KIOSK}.service"
        # A pin that cannot work: BCM 27 is taken (a hog on the simulated chip, as a line claimed by
        # a driver or another program would be). The chip is rebuilt with the hog, so stop the kiosk.
        chip = "/sys/kernel/config/gpio-sim/qode-sim"
        self.vm.ssh(f"systemctl stop {kiosk} && echo 0 > {chip}/live"
                    f" && mkdir -p {chip}/bank0/line{WRONG_PIN}/hog"
                    f" && echo held-by-appliance-test > {chip}/bank0/line{WRONG_PIN}/hog/name"
                    f" && echo input > {chip}/bank0/line{WRONG_PIN}/hog/direction && echo 1 > {chip}/live")
        self.set_env(f"/etc/qode/kiosk-{KIOSK}.env", {"QODE_KIOSK_BUTTON": f"gpio:{WRONG_PIN}"})
        since = self.vm.ssh("date +%s").stdout.strip()
        self.vm.ssh(f"systemctl reset-failed {kiosk}; systemctl start {kiosk}", check_rc=False)

        def card_error():
            status, devices = self.client.staff("GET", f"/api/queues/{self.queue}/devices", self.host_token)
            kiosks = devices if isinstance(devices, list) else devices.get("devices", [])
            for d in kiosks:
                if f"gpio:{WRONG_PIN}" in (d.get("error") or ""):
                    return d
            return None
        device = wait_for("the GPIO error on the dashboard's kiosk card", card_error, 120, 3)
        time.sleep(20)
        show = self.vm.ssh(f"systemctl show -p ActiveState -p NRestarts -p ExecMainStatus {kiosk}").stdout
        state = dict(line.split("=", 1) for line in show.split())
        check(state.get("NRestarts") == "0" and state.get("ExecMainStatus") == "78",
              f"the kiosk unit loops or did not exit 78: {state}")
        journal = self.vm.ssh(f"journalctl -u {kiosk} -b --no-pager -o cat --since @{since}",
                              check_rc=False).stdout.strip()
        lines = [line for line in journal.splitlines() if line.startswith("qode kiosk: ")]
        check(len(lines) == 1, f"expected one 'qode kiosk: ' line in the journal, got: {journal}")
        self.report.note(f"dashboard card error: {device['error']!r}; unit {state}; journal: {lines[0]!r}")
        self.set_env(f"/etc/qode/kiosk-{KIOSK}.env", {"QODE_KIOSK_BUTTON": f"gpio:{PIN}"})
        self.vm.ssh(f"systemctl restart {kiosk}")
        wait_for("the kiosk back on the right pin", self._kiosk_connected, 180, 3)

    def update(self) -> None:
        wheel, new = broken_wheel(self.work, self.log)
        self.vm.put([wheel], "/root/broken")
        # the wheelhouse is already on the box; `qode update` installs from it alone.
        done = self.vm.ssh(f"qode update --wheelhouse /root/wheelhouse /root/broken/{wheel.name}",
                           timeout=self.args.install_timeout, check_rc=False)
        (self.work / "update.out").write_text(done.stdout + done.stderr)
        check(done.returncode != 0, f"`qode update` to a broken wheel exited 0: {done.stdout[-800:]}")
        health = wait_for("/healthz after the rollback", lambda: self.healthz(), 120, 3)
        check(health["version"] == self.version,
              f"serving {health['version']}, expected the old {self.version}")
        known = {t["display_number"] for t in self.server_tickets()}
        check(set(self.printer.numbers()) <= known, "tickets missing after the rollback")
        last = [line for line in (done.stdout + done.stderr).strip().splitlines() if line.strip()][-1:]
        self.report.note(f"qode update {new}: exit {done.returncode} ('{last[0].strip() if last else ''}'); "
                         f"/healthz version {health['version']}; all tickets present")
        self.wait_units(self.UNITS, self.args.units_timeout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("QODE_APPLIANCE_CACHE",
                                                                          "/var/cache/qode-appliance")))
    parser.add_argument("--work", type=Path, help="keep the run's files here (default: a temporary folder)")
    parser.add_argument("--boot-timeout", type=float, default=300)
    parser.add_argument("--install-timeout", type=float, default=900)
    parser.add_argument("--units-timeout", type=float, default=420)
    parser.add_argument("--tv-timeout", type=float, default=480)
    parser.add_argument("--only", default="", help="comma-separated steps to stop after (debugging)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("run.py needs root (debootstrap, chroot, mkfs): sudo make appliance")
    # A `timeout` or a closed terminal: stop like Ctrl-C, so QEMU and the printer are still killed.
    def interrupted(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    work = args.work or Path(tempfile.mkdtemp(prefix="qode-appliance-"))
    work.mkdir(parents=True, exist_ok=True)
    log = open(work / "run.log", "a")
    report = Report(log)
    box = Box(work, report, log, args)
    print(f"Qode appliance test: files in {work}", flush=True)
    qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout
    machine = (f"host: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at the start, "
               f"{qemu.splitlines()[0] if qemu else 'no qemu'}")
    print(machine, flush=True)
    log.write(machine + "\n")
    try:
        steps = [
            ("0 host: wheel + wheelhouse", box.prepare_host),
            ("1 image (debootstrap, gpio-sim)", box.build_image),
            ("2 boot under QEMU (TCG)", lambda: box.boot(first=True)),
            ("3 install.sh --kiosk --display", box.install),
            ("4 every unit active", box.units),
            ("5 GPIO press -> printed ticket", box.button),
            ("6 host: status + call over ports", box.host_call),
            ("7 TV screendump shows the call", box.tv),
            ("8 reboot, everything back", box.reboot),
            ("9 power cut in a burst", box.power_cut),
            ("M2 wrong GPIO pin: one error", box.wrong_pin),
            ("10 update to a broken wheel", box.update),
        ]
        stop_after = {s.strip() for s in args.only.split(",") if s.strip()}
        for name, run in steps:
            with report.step(name) as go:
                if go:
                    run()
            if name.split()[0] in stop_after:
                break
    except KeyboardInterrupt:
        report.failed = True
        report.rows.append(("interrupted", "FAIL", 0.0, "Ctrl-C, SIGTERM or SIGHUP"))
    finally:
        if box.vm is not None:
            box.vm.kill()
        box.printer.stop()
        text = machine + "\n" + report.render()
        print("\n" + text, flush=True)
        (work / "report.txt").write_text(text + "\n")
        log.write("\n" + text + "\n")
        log.close()
        print(f"\nfiles (log, console, screendumps): {work}")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
