"""`qode update WHEEL`: a new version beside the running one, and back by itself when it fails.

The slow test is the real thing, in the booted Debian bookworm container of test_watchdog.py
(systemd as PID 1, the real qode.service, installed by the real install.sh from this
checkout): an update to a good wheel (another version, with one more migration) and then to
a wheel whose server cannot start (a migration that fails after another one changed the
database), and to one that runs but never answers /healthz with 200 (the time limit). The
wheels are `pip wheel --no-deps` builds of patched copies of this tree. On the way, the
installed kiosk unit with a GPIO button on this chipless box shows the one-line stop under
systemd: exit 78, no restart, the line on the host's kiosk card.

The fast tests run the pieces that need no systemd: the wheel check, the switch of the
link, the adoption of an older install's venv folder and the pruning of old venvs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from qode import __version__, update

ROOT = Path(__file__).resolve().parents[1]


# --- Wheels --------------------------------------------------------------------------------


def build_wheel(dest: Path, work: Path, version: str | None = None, migrations: str = "",
                edits: dict[str, tuple[str, str]] | None = None) -> Path:
    """`pip wheel --no-deps` of this tree, or of a copy at another `version` with `migrations`
    (Python source of extra @migration functions) appended to qode/migrations.py and `edits`
    ({path: (old, new)}, each `old` found exactly once) made."""
    src = work / f"src-{version or 'tree'}"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for folder in ("server", "kiosk", "common"):
        shutil.copytree(ROOT / folder, src / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    if version is not None:
        pyproject = src / "pyproject.toml"
        pyproject.write_text(re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', pyproject.read_text(),
                                    count=1))
        init = src / "server/qode/__init__.py"
        init.write_text(re.sub(r'(?m)^__version__ = ".*"$', f'__version__ = "{version}"', init.read_text(),
                               count=1))
        with open(src / "server/qode/migrations.py", "a") as fh:
            fh.write("\n\n# --- added by tests/test_update.py ---\n" + migrations)
        for path, (old, new) in (edits or {}).items():
            text = (src / path).read_text()
            assert text.count(old) == 1, f"{path} no longer has {old!r}: adapt the test"
            (src / path).write_text(text.replace(old, new))
    dest.mkdir(parents=True, exist_ok=True)
    before = set(dest.glob("qode-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dest), str(src)],
                   check=True, capture_output=True, text=True, timeout=600)
    (made,) = set(dest.glob("qode-*.whl")) - before
    return made


GOOD = '''
@migration
def m900_update_probe(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE update_probe (id INTEGER PRIMARY KEY)")
'''
BAD = GOOD + '''

@migration
def m901_broken_probe(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE broken_probe (id INTEGER PRIMARY KEY)")


@migration
def m902_fails(conn: sqlite3.Connection) -> None:
    raise RuntimeError("a migration that fails on purpose (tests/test_update.py)")
'''


def test_the_version_is_one_number():
    """pyproject's version is the one /healthz and the dashboard show (`qode.__version__`)."""
    (declared,) = re.findall(r'(?m)^version = "(.*)"$', (ROOT / "pyproject.toml").read_text())
    assert declared == __version__


# --- The pieces, without systemd -------------------------------------------------------------


def test_a_wheel_is_checked_before_anything_changes(tmp_path):
    if not (ROOT / "server/qode/static/index.html").exists():
        pytest.skip("the pages are not built (make pages)")
    wheel = build_wheel(tmp_path / "dist", tmp_path, "9.9.9", GOOD)
    assert update.wheel_version(wheel) == "9.9.9"
    bare = tmp_path / "qode-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as good, zipfile.ZipFile(bare, "w") as copy:
        for name in good.namelist():
            if not name.startswith("qode/static/"):
                copy.writestr(name, good.read(name))
    for path, said in [(bare, "has no pages"), (tmp_path / "none.whl", "no such file")]:
        with pytest.raises(update.Refused, match=said):
            update.wheel_version(path)
    (tmp_path / "text.whl").write_text("not a zip")
    with pytest.raises(update.Refused, match="not a wheel"):
        update.wheel_version(tmp_path / "text.whl")


def test_an_older_install_is_adopted_and_the_link_switches_in_one_step(tmp_path):
    link, venvs = tmp_path / "opt/venv", tmp_path / "opt/venvs"
    (link / "bin").mkdir(parents=True)
    (link / "bin/python").write_text("#!/bin/sh\n")
    (link / "marker").write_text("old")
    current = update.adopt_layout(link, venvs)
    assert link.is_symlink() and not os.path.isabs(os.readlink(link))  # relative: venvs/<name>
    assert current.parent == venvs and current.name.endswith("-installed")
    assert (link / "marker").read_text() == "old"  # the same files, now through the link
    assert update.adopt_layout(link, venvs) == current  # a second time: nothing to do
    new = venvs / "29990101T000000Z-9.9.9"
    new.mkdir()
    update.switch(link, new)
    assert link.resolve() == new and not (link.parent / ".venv.switch").exists()
    with pytest.raises(update.Refused, match="not installed here"):
        update.adopt_layout(tmp_path / "nothing", venvs)


def test_old_venvs_are_pruned_but_never_the_running_or_previous_one(tmp_path):
    venvs = tmp_path / "venvs"
    names = [f"2026010{n}T000000Z-0.{n}" for n in range(1, 7)]
    for name in names:
        (venvs / name).mkdir(parents=True)
    running, previous = venvs / names[5], venvs / names[0]  # previous: oldest by name (a clock gone back)
    gone = update.prune(venvs, [running, previous])
    left = sorted(p.name for p in venvs.iterdir())
    assert left == sorted([names[0], names[4], names[5]])  # running, previous, the newest other
    assert len(gone) == 3 and update.KEEP_OLD == 2


# --- The real thing: systemd, qode.service, install.sh, in a booted container -----------------


# No network in the booted container: the dependencies come from the wheelhouse made at install.
UPDATE_ENV = "QODE_WHEELHOUSE=/wheels/house QODE_UPDATE_HEALTH_TIMEOUT=120"


def py(box, code: str, timeout: float = 60) -> str:
    """Python inside the container, with the running version's interpreter."""
    return box.sh(f"/opt/qode/venv/bin/python -c {json.dumps(code)}", timeout=timeout)


def healthz(box) -> dict:
    return json.loads(py(box, "import urllib.request as u; "
                              "print(u.urlopen('http://127.0.0.1:8000/healthz', timeout=10).read().decode())"))


def tables(box) -> set[str]:
    query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    code = ("import json, sqlite3; c = sqlite3.connect('file:/var/lib/qode/qode.db?mode=ro', uri=True); "
            f"print(json.dumps([r[0] for r in c.execute({query!r})]))")
    return set(json.loads(py(box, code)))


def api(box, method: str, path: str, token: str, body: dict | None = None) -> dict:
    code = ("import json, sys, urllib.request as u; "
            f"r = u.Request('http://127.0.0.1:8000{path}', method={method!r}, "
            f"data={json.dumps(json.dumps(body)) if body is not None else 'None'}.encode() "
            f"if {body is not None} else None, headers={{'Authorization': 'Bearer {token}', "
            "'Content-Type': 'application/json'}); print(u.urlopen(r, timeout=10).read().decode())")
    return json.loads(py(box, code))


@pytest.mark.slow
@pytest.mark.xdist_group("serial")
def in_box(box, script: str) -> tuple[subprocess.CompletedProcess, float]:
    """A shell command as root inside the booted container, and how long it took."""
    from test_watchdog import SLOW_TIMEOUT

    from helpers import privileged

    began = time.monotonic()
    done = subprocess.run(privileged(["nsenter", "-t", str(box.leader), "-a", "/bin/sh", "-c", script]),
                          capture_output=True, text=True, timeout=SLOW_TIMEOUT)
    return done, time.monotonic() - began


def test_update_to_a_good_wheel_then_a_failed_one_rolls_back_in_a_booted_container(tmp_path):
    from test_watchdog import (
        SLOW_TIMEOUT,
        Container,
        bookworm_rootfs,
        needs_container_tools,
        pip_passthrough,
        run,
    )

    from helpers import privileged, remove_as_root

    needs_container_tools()
    base = bookworm_rootfs()
    plain = build_wheel(tmp_path / "wheels", tmp_path, "9.0.0")
    good = build_wheel(tmp_path / "wheels", tmp_path, "9.0.1", GOOD)
    bad = build_wheel(tmp_path / "wheels", tmp_path, "9.0.2", BAD)
    # Starts (systemd counts it active: its watchdog takes any answer) but is never healthy.
    sick = build_wheel(tmp_path / "wheels", tmp_path, "9.0.3", GOOD, edits={
        "server/qode/api.py": ('200 if state == "ok" else 503', "503")})
    root = tmp_path / "root"
    run(["cp", "-a", "--reflink=auto", str(base), str(root)], timeout=SLOW_TIMEOUT)
    report = []
    try:
        # The container's root belongs to root: copy into it as root (through sudo -n if need be).
        run(["cp", "-a", str(tmp_path / "wheels"), str(root / "wheels")])
        # install.sh and its units, for a second run on the booted box (which has no checkout).
        run(["mkdir", "-p", str(root / "opt/qode-installer")])
        run(["cp", "-p", str(ROOT / "install.sh"), str(root / "opt/qode-installer/install.sh")])
        run(["cp", "-a", str(ROOT / "systemd"), str(root / "opt/qode-installer/systemd")])
        # install.sh from this checkout, as on a Pi before its first boot; then the new wheels'
        # dependencies into a wheelhouse, because the booted container has no network.
        installed = subprocess.run(privileged(
            ["systemd-nspawn", "-D", str(root), "-q", "--register=no", "--keep-unit", "--pipe",
             f"--bind-ro={ROOT}:/opt/qode-src", *pip_passthrough(), "/bin/bash", "-c",
             "/opt/qode-src/install.sh --kiosk door && /opt/qode/venv/bin/python -m pip download --quiet "
             f"-d /wheels/house '/wheels/{good.name}[kiosk]'"]),
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=SLOW_TIMEOUT)
        out = installed.stdout + installed.stderr
        offline = r"(?i)could not find a version|connection|resolve|ssl"
        if installed.returncode != 0 and re.search(offline, out):
            pytest.skip(f"install.sh could not reach PyPI from the container: {out[-800:]}")
        assert installed.returncode == 0, out[-4000:]
        first = os.readlink(root / "opt/qode/venv")
        assert first.startswith("venvs/") and first.endswith(f"-{__version__}"), first

        box = Container(root, f"qode-up-{os.getpid()}", tmp_path / "container.log")
        try:
            box.boot()
            deadline = time.monotonic() + 180
            while box.show("qode.service")["ActiveState"] != "active":
                assert time.monotonic() < deadline, box.sh("journalctl -u qode -n 40 --no-pager", check=False)
                time.sleep(0.5)
            assert healthz(box)["version"] == __version__
            admin = box.sh("cat /var/lib/qode/admin_token").strip()
            queue = api(box, "POST", "/api/queues", admin, {"name": "Town hall", "prefix": "T"})
            ticket = api(box, "POST", f"/api/queues/{queue['id']}/tickets", queue["host_token"], {})

            # The kiosk unit with a GPIO button on a box without a GPIO chip (this container): one
            # line in its journal, the same on the host's kiosk card, exit 78 and no restart.
            assert py(box, "import gpiozero, lgpio; print('ok')").strip() == "ok"  # the kiosk extra
            door = api(box, "POST", f"/api/queues/{queue['id']}/devices", queue["host_token"], {"name": "Door"})
            box.sh("printf 'QODE_KIOSK_SERVER=http://127.0.0.1:8000\\nQODE_KIOSK_TOKEN=%s\\n"
                   f"QODE_KIOSK_PRINTER=dummy\\nQODE_KIOSK_BUTTON=gpio:17\\n' {door['token']} "
                   "> /etc/qode/kiosk-door.env")
            box.sh("systemctl restart qode-kiosk@door.service")
            deadline = time.monotonic() + 60
            while (kiosk := box.show("qode-kiosk@door.service"))["ActiveState"] not in ("failed", "inactive"):
                assert time.monotonic() < deadline, kiosk
                time.sleep(0.5)
            time.sleep(8)  # longer than RestartSec=5: a restart would have happened by now
            kiosk = dict(box.show("qode-kiosk@door.service"),
                         **dict(line.split("=", 1) for line in box.sh(
                             "systemctl show qode-kiosk@door.service -p ExecMainStatus").splitlines()))
            assert kiosk["ExecMainStatus"] == "78" and kiosk["NRestarts"] == "0", kiosk
            assert kiosk["ActiveState"] == "failed", kiosk
            # This run's lines only: the kiosk install.sh started at boot, not yet set up, may still be
            # saying so within the same second (seen on a loaded machine).
            run_id = box.sh("systemctl show qode-kiosk@door.service -p InvocationID --value").strip()
            assert run_id, "the kiosk unit has no invocation id"
            journal = box.sh(f"journalctl _SYSTEMD_INVOCATION_ID={run_id} -o cat --no-pager")
            own = [line for line in journal.splitlines()
                   if not re.match(r"^(qode-kiosk@door\.service: |(Started|Starting|Stopped|Stopping|Failed) )",
                                   line)]
            assert len(own) == 1 and own[0].startswith("qode kiosk: QODE_KIOSK_BUTTON=gpio:17: this box has no "
                                                       "GPIO chip"), journal
            assert "Traceback" not in journal
            cards = api(box, "GET", f"/api/queues/{queue['id']}/devices", queue["host_token"])["devices"]
            assert [c["error"] for c in cards if c["id"] == door["id"]] == [own[0].removeprefix("qode kiosk: ")]
            report.append(f"qode-kiosk@door with gpio:17 and no GPIO chip: exit 78, NRestarts 0, one journal "
                          f"line, on the kiosk card: {own[0]!r}")

            # 0. install.sh with a wheel on a box where Qode runs: it goes through `qode update`.
            done, _ = in_box(box, f"{UPDATE_ENV} /opt/qode-installer/install.sh /wheels/{plain.name}")
            said = done.stdout + done.stderr
            assert done.returncode == 0, said
            assert "updating   the running Qode with qode update" in said
            assert f"updated {__version__} -> 9.0.0" in said, said
            assert healthz(box)["version"] == "9.0.0"
            report.append(f"install.sh qode-9.0.0.whl on the running box: through qode update, {__version__} "
                          "-> 9.0.0, /healthz 9.0.0")

            # 1. A good wheel: another version, one more migration.
            done, took = in_box(box, f"{UPDATE_ENV} qode update /wheels/{good.name}")
            said = done.stdout + done.stderr
            assert done.returncode == 0, said
            assert "updated 9.0.0 -> 9.0.1" in said
            assert healthz(box)["version"] == "9.0.1"
            assert "update_probe" in tables(box)  # its migration ran at start
            kept = api(box, "GET", f"/api/tickets/{ticket['id']}", queue["host_token"])
            assert kept["display_number"] == "T001"  # the data came along
            venvs = box.sh("ls /opt/qode/venvs").split()
            assert len(venvs) == 3 and box.sh("readlink /opt/qode/venv").strip().endswith("-9.0.1"), venvs
            assert box.sh("ls /var/lib/qode/backups").split()  # the copy made before switching
            report.append(f"update 9.0.0 -> 9.0.1: exit 0 in {took:.0f} s; /healthz 9.0.1; "
                          "migration m900 ran (table update_probe); ticket T001 kept")
            # A ticket issued on 9.0.1, before the failed update: it must survive the rollback.
            later = api(box, "POST", f"/api/queues/{queue['id']}/tickets", queue["host_token"], {})

            # 2. A wheel whose server cannot start: its second migration fails after its first
            # one changed the database.
            done, took = in_box(box, f"{UPDATE_ENV} qode update /wheels/{bad.name}")
            said = done.stdout + done.stderr
            assert done.returncode == 1, said
            assert "Rolled back: 9.0.1 serves again" in done.stderr, said
            assert "a migration that fails on purpose" in said  # the journal's last words are shown
            assert healthz(box)["version"] == "9.0.1"
            now = tables(box)
            assert "update_probe" in now and "broken_probe" not in now  # the database as before
            still = api(box, "GET", f"/api/tickets/{later['id']}", queue["host_token"])
            assert still["display_number"] == "T002"
            assert box.sh("readlink /opt/qode/venv").strip().endswith("-9.0.1")
            assert not [v for v in box.sh("ls /opt/qode/venvs").split() if v.endswith("-9.0.2")]
            aside = box.sh("ls /var/lib/qode").split()
            assert [n for n in aside if n.startswith("qode.db.before-restore-")], aside  # kept, not deleted
            state = box.show("qode.service")
            assert state["ActiveState"] == "active", state
            report.append(f"update 9.0.1 -> 9.0.2 (fails to start): exit 1 after {took:.0f} s; rolled back, "
                          "/healthz 9.0.1; table broken_probe gone, T002 kept; the failed database set aside")

            # 3. A wheel that starts but never answers /healthz with 200: the time limit.
            done, took = in_box(box, f"{UPDATE_ENV.replace('=120', '=20')} qode update /wheels/{sick.name}")
            said = done.stdout + done.stderr
            assert done.returncode == 1, said
            assert "version 9.0.3 did not answer http://127.0.0.1:8000/healthz within 20 s" in said, said
            assert "last: HTTP 503, version '9.0.3'" in said
            assert healthz(box)["version"] == "9.0.1"
            assert box.show("qode.service")["ActiveState"] == "active"
            report.append(f"update 9.0.1 -> 9.0.3 (runs, /healthz 503): exit 1 after {took:.0f} s "
                          "(QODE_UPDATE_HEALTH_TIMEOUT=20); rolled back, /healthz 9.0.1")
        finally:
            box.stop()
    finally:
        remove_as_root(root)
    text = "\n".join(report)
    print(text)
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "update-container.txt").write_text(text + "\n\nlast qode update output:\n" + said + "\n")


# --- install.sh: the versioned venvs, under QODE_ROOT (real venvs, real pip) ---------------------


def install_sh(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QODE_ROOT": str(root), "QODE_PYTHON": sys.executable}
    env.pop("QODE_SKIP_VENV", None)
    return subprocess.run([str(ROOT / "install.sh"), *args], capture_output=True, text=True, env=env,
                          timeout=900)


@pytest.mark.slow
def test_install_sh_adopts_an_old_venv_folder_installs_beside_it_and_prunes(tmp_path):
    """An install made before versioned venvs (/opt/qode/venv a folder) is moved, not lost; a
    second run changes nothing; a new version goes beside the others and old ones are pruned."""
    if shutil.which("systemctl") is None:
        pytest.skip("systemctl is not installed (install.sh enables units with `systemctl --root`)")
    if not (ROOT / "server/qode/static/index.html").exists():
        pytest.skip("the pages are not built (make pages)")
    from test_systemd import scratch_root, tree

    root = scratch_root(tmp_path)
    wheel = build_wheel(tmp_path / "dist", tmp_path)
    newer = build_wheel(tmp_path / "dist", tmp_path, "9.9.9", GOOD)
    legacy = root / "opt/qode/venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(legacy)], check=True, timeout=120)
    (legacy / "marker").write_text("the old install\n")

    first = install_sh(root, str(wheel))
    said = first.stdout + first.stderr
    offline = r"(?i)could not find a version|connection|resolve|ssl"
    if first.returncode != 0 and re.search(offline, said):
        pytest.skip(f"pip could not reach a package index: {said[-500:]}")
    assert first.returncode == 0, said[-3000:]
    link = os.readlink(legacy)
    assert link.startswith("venvs/") and link.endswith(f"-{__version__}"), link
    (adopted,) = (root / "opt/qode/venvs").glob("*-installed")
    assert (adopted / "marker").read_text() == "the old install\n"  # moved, not deleted
    assert "moved      /opt/qode/venv to /opt/qode/venvs/" in said
    version = subprocess.run([str(legacy / "bin/qode"), "--version"], capture_output=True, text=True,
                             timeout=60)
    assert version.stdout.strip() == f"qode {__version__}"

    before = tree(root)
    second = install_sh(root, str(wheel))
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"unchanged  Qode {__version__} is already this version" in second.stdout
    assert "(0 change(s))" in second.stdout and tree(root) == before

    # Older environments pile up over the years: the running one, the previous one and the newest
    # other stay (KEEP_OLD=2 besides the running one).
    for name in ("20000101T000000Z-0.0.1", "20000102T000000Z-0.0.2"):
        (root / "opt/qode/venvs" / name).mkdir()
    previous = (root / "opt/qode" / link).resolve()
    third = install_sh(root, str(newer))
    assert third.returncode == 0, (third.stdout + third.stderr)[-3000:]
    left = sorted(p.name for p in (root / "opt/qode/venvs").iterdir())
    running = os.readlink(legacy).removeprefix("venvs/")
    assert running.endswith("-9.9.9") and previous.name in left and running in left
    assert len(left) == 3 and adopted.name in left, left  # the newest other: the adopted folder
    assert "removed    /opt/qode/venvs/20000101T000000Z-0.0.1 (an older version)" in third.stdout


@pytest.mark.parametrize("make, said", [
    (lambda tmp: tmp / "missing.whl", "no such file"),
    (lambda tmp: (tmp / "x.whl").write_text("not a zip") and tmp / "x.whl", "is not a wheel"),
])
def test_qode_update_refuses_a_bad_wheel_in_one_line(tmp_path, make, said):
    from helpers import QODE

    done = subprocess.run([QODE, "update", str(make(tmp_path))], capture_output=True, text=True, timeout=60)
    assert done.returncode == update.REFUSED == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("qode update: not updated: ")
    assert said in done.stderr and "Traceback" not in done.stderr
