"""`qode update WHEEL`: a new version beside the running one, and back by itself if it fails.

On a box made by install.sh, Qode lives in a virtual environment per version:

    /opt/qode/venvs/<UTC time>-<version>/   one per install or update
    /opt/qode/venv -> venvs/<...>           the one the units run (a symlink)

An update, run as root (`sudo qode update qode-X.Y.Z-py3-none-any.whl`):

1. installs the wheel (with the `kiosk` extra when a kiosk is set up here) into a fresh venv,
   while the old version keeps serving; a failure here changes nothing else;
2. stops qode.service and copies the database (`qode backup`'s code: an integrity-checked copy);
3. points /opt/qode/venv at the new venv (one atomic rename) and starts qode.service, which
   migrates the database as it starts;
4. waits for GET /healthz to answer 200 with the new version, for QODE_UPDATE_HEALTH_TIMEOUT
   seconds (or until systemd gives up on the unit);
5. on success restarts the kiosks and the display on this box (they run from the same venv)
   and removes all but the newest KEEP_OLD earlier venvs;
   on failure stops qode.service, points the link back at the previous venv, restores the
   database copy (the failed one is set aside as qode.db.before-restore-<time>, never deleted),
   starts the previous version and waits for it to answer.

Exit status: 0 updated; 1 rolled back (the previous version serves); 2 refused before anything
changed; 3 the rollback failed too (the box needs a person).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from datetime import UTC, datetime
from pathlib import Path

OPT = Path("/opt/qode")
LINK = OPT / "venv"
VENVS = OPT / "venvs"
ETC = Path("/etc/qode")
UNIT = "qode.service"
HEALTH_URL = "http://127.0.0.1:8000/healthz"  # qode.service: `qode serve --port 8000`
KEEP_OLD = 2  # earlier venvs kept besides the running one (the newest first)
STAMP = ".qode-installed"  # what install.sh and update installed in a venv (same format)
UPDATED, ROLLED_BACK, REFUSED, BROKEN = 0, 1, 2, 3


class Refused(Exception):
    """The update cannot start; nothing was changed."""


class Failed(Exception):
    """The new version did not come up; the message says why."""


def say(text: str) -> None:
    print(f"qode update: {text}", flush=True)


def stamp_now() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


# ---- the wheel ---------------------------------------------------------------------------


def wheel_version(wheel: Path) -> str:
    """The version inside a Qode wheel with its pages; Refused when it is not one."""
    if not wheel.is_file():
        raise Refused(f"no such file: {wheel}")
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            meta = [n for n in names if re.fullmatch(r"qode-[^/]+\.dist-info/METADATA", n)]
            if not meta:
                raise Refused(f"{wheel.name} is not a Qode wheel (no qode-*.dist-info/METADATA)")
            if "qode/static/index.html" not in names:
                raise Refused(f"{wheel.name} has no pages (qode/static/index.html): "
                              "build it after `make pages`")
            text = archive.read(meta[0]).decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError) as err:
        raise Refused(f"{wheel} is not a wheel: {err}") from None
    match = re.search(r"^Version: (\S+)$", text, re.M)
    if not match:
        raise Refused(f"{wheel.name} has no version in its metadata")
    return match[1]


def wheel_stamp(wheel: Path, extras: bool) -> str:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return f"wheel {digest}" + (" extras=kiosk" if extras else "")


# ---- venvs and the link ------------------------------------------------------------------


def switch(link: Path, target: Path) -> None:
    """Point `link` at `target` in one step (a relative link, so the tree can move as a whole)."""
    tmp = link.with_name(f".{link.name}.switch")
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, link.parent), tmp)
    os.replace(tmp, link)
    fd = os.open(link.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def adopt_layout(link: Path = LINK, venvs: Path = VENVS) -> Path:
    """The running venv; an older install's /opt/qode/venv folder becomes venvs/<time>-installed first."""
    if link.is_symlink():
        target = link.resolve()
        if not (target / "bin" / "python").exists():
            raise Refused(f"{link} points at {target}, which is not a Python environment: run install.sh")
        return target
    if not link.is_dir():
        raise Refused(f"Qode is not installed here (no {link}): install it with install.sh first")
    venvs.mkdir(mode=0o755, parents=True, exist_ok=True)
    moved = venvs / f"{stamp_now()}-installed"
    # Its scripts name /opt/qode/venv/bin/python, which the link keeps valid.
    os.rename(link, moved)
    switch(link, moved)
    say(f"moved the environment {link} to {moved} ({link} is a link now)")
    return moved


def venv_version(venv: Path) -> str:
    done = subprocess.run([str(venv / "bin" / "python"), "-c", "import qode; print(qode.__version__)"],
                          capture_output=True, text=True, timeout=60)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def create_venv(target: Path, wheel: Path, extras: bool, wheelhouse: Path | None,
                stamp: str | None = None) -> None:
    """A fresh venv at `target` with the wheel (and the kiosk extra) and its dependencies."""
    python = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([python, "-m", "venv", str(target)], check=True, capture_output=True, text=True, timeout=300)
    source = ["--no-index", "--find-links", str(wheelhouse)] if wheelhouse else []
    spec = f"{wheel}[kiosk]" if extras else str(wheel)
    subprocess.run([str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-cache-dir",
                    "--disable-pip-version-check", *source, spec],
                   check=True, capture_output=True, text=True, timeout=1800)
    (target / STAMP).write_text((stamp or wheel_stamp(wheel, extras)) + "\n")


def prune(venvs: Path, keep: list[Path]) -> list[Path]:
    """Remove venvs beyond the ones in `keep` and the newest KEEP_OLD others; return what went."""
    kept = {p.resolve() for p in keep}
    others = sorted((d for d in venvs.iterdir()
                     if d.is_dir() and not d.is_symlink() and d.resolve() not in kept),
                    key=lambda d: d.name, reverse=True)
    room = max(KEEP_OLD - (len(kept) - 1), 0)
    gone = others[room:]
    for old in gone:
        shutil.rmtree(old, ignore_errors=True)
    return gone


# ---- the service ---------------------------------------------------------------------------


def systemctl(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(["systemctl", *args], capture_output=True, text=True, timeout=300, check=check)


def health(url: str = HEALTH_URL) -> tuple[int | None, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as err:
        try:
            return err.code, json.loads(err.read() or b"{}")
        except ValueError:
            return err.code, {}
        finally:
            err.close()
    except (OSError, ValueError):
        return None, {}


def wait_healthy(version: str, timeout: int | None, url: str = HEALTH_URL) -> None:
    """Until /healthz says 200 with `version`; Failed when systemd gave up or `timeout` passed."""
    began = time.monotonic()
    last = "no answer"
    while True:
        status, body = health(url)
        if status == 200 and body.get("version") == version:
            return
        if status is not None:
            last = f"HTTP {status}, version {body.get('version')!r}"
        if systemctl("is-failed", "--quiet", UNIT).returncode == 0:
            raise Failed(f"{UNIT} failed to start (systemd gave up; last: {last})")
        if timeout is not None and time.monotonic() - began > timeout:
            raise Failed(f"version {version} did not answer {url} within {timeout} s (last: {last})")
        time.sleep(1)


def start(unit: str = UNIT) -> None:
    systemctl("reset-failed", unit)  # a crash loop before may have used up the start limit
    systemctl("start", "--no-block", unit, check=True)


SYSTEMD_SAYS = re.compile(r"^(qode\.service: |(Started|Starting|Stopped|Stopping|Failed to start) )")


def journal_tail(since: float, lines: int = 12) -> str:
    """The new version's own last lines since `since` (epoch seconds), without systemd's."""
    done = subprocess.run(["journalctl", "-u", UNIT, "--since", f"@{int(since)}", "--no-pager", "-o", "cat"],
                          capture_output=True, text=True, timeout=60)
    own = [line for line in done.stdout.splitlines()
           if not SYSTEMD_SAYS.match(line) and "token" not in line.lower()]  # the setup link stays out
    return "\n".join(f"    {line}" for line in own[-lines:])


def own_like(path: Path, folder: Path) -> None:
    owner = folder.stat()
    os.chown(path, owner.st_uid, owner.st_gid)


# ---- the whole update ------------------------------------------------------------------------


def update(wheel: Path, data_dir: Path, timeout: int | None, wheelhouse: Path | None, backup_keep: int,
           kiosk_extra: bool = False, stamp: str | None = None) -> int:
    from . import backup

    # Everything this run imports from Qode is imported now: once the link moves, a later import
    # through /opt/qode/venv would load the other version's code.
    backup.BOX.migrations()
    wheel = wheel.resolve()
    new_version = wheel_version(wheel)
    if os.geteuid() != 0:
        raise Refused("run it as root: sudo qode update " + str(wheel))
    if wheelhouse is not None and not wheelhouse.is_dir():
        raise Refused(f"QODE_WHEELHOUSE={wheelhouse} is not a folder")
    if not OPT.is_dir():
        raise Refused(f"Qode is not installed here (no {OPT}): install it with install.sh first")
    with open(OPT / ".update.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise Refused("another update is running") from None
        previous = adopt_layout()
        old_version = venv_version(previous)
        extras = kiosk_extra or any(ETC.glob("kiosk-*.env"))
        target = VENVS / f"{stamp_now()}-{new_version}"
        say(f"installing {wheel.name}{' with the kiosk extra' if extras else ''} into {target} "
            f"({old_version} keeps serving meanwhile)")
        try:
            create_venv(target, wheel, extras, wheelhouse, stamp)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as err:
            shutil.rmtree(target, ignore_errors=True)
            said = (getattr(err, "stderr", None) or str(err)).strip().splitlines()[-3:]
            raise Refused("installing the new version failed, nothing was changed: "
                          + " / ".join(said)) from None

        db_path = data_dir / backup.BOX.db_name
        say(f"stopping {UNIT} and copying the database")
        stopped = systemctl("stop", UNIT)
        if stopped.returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            raise Refused(f"systemctl stop {UNIT} failed: {stopped.stderr.strip()}")
        copy = None
        if db_path.exists():
            try:
                copy = backup.make_backup(db_path, data_dir / "backups", max(backup_keep, 2))
            except backup.BackupError as err:
                start()
                shutil.rmtree(target, ignore_errors=True)
                raise Refused(f"the database could not be copied ({err}); "
                              f"{old_version} started again") from None
            own_like(copy, data_dir)
            own_like(copy.parent, data_dir)
            say(f"database copied to {copy}")
        switch(LINK, target)
        say(f"starting {new_version} (it migrates the database as it starts)")
        started = time.time()
        try:
            start()
            wait_healthy(new_version, timeout)
        except (Failed, subprocess.CalledProcessError) as err:
            return roll_back(str(err), previous, old_version, target, new_version, copy, db_path, data_dir,
                             timeout, started)
        for unit in ("qode-kiosk@*.service", "qode-display.service"):
            systemctl("try-restart", unit)
        gone = prune(VENVS, [target, previous])
        say(f"updated {old_version} -> {new_version}; /healthz answers with {new_version}"
            + (f"; removed {len(gone)} old environment(s)" if gone else ""))
        return UPDATED


def roll_back(reason: str, previous: Path, old_version: str, target: Path, new_version: str,
              copy: Path | None, db_path: Path, data_dir: Path, timeout: int | None, started: float) -> int:
    from . import backup

    say(f"{new_version} failed: {reason}")
    tail = journal_tail(started)
    if tail:
        print(f"  its last words (journalctl -u {UNIT}):\n{tail}", flush=True)
    say(f"rolling back to {old_version}")
    systemctl("stop", UNIT)
    switch(LINK, previous)
    try:
        if copy is not None:
            aside = backup.restore(copy, data_dir)
            say(f"database restored from {copy}" + (f"; the one {new_version} used is kept as {aside}"
                                                     if aside else ""))
        elif db_path.exists():  # there was none before: set the new one aside, never delete it
            aside = backup._set_aside(db_path, stamp_now())
            say(f"{new_version} made a database; it is kept as {aside}")
        start()
        wait_healthy(old_version, timeout)
    except (backup.BackupError, Failed, subprocess.CalledProcessError, OSError) as err:
        print(f"qode update: ROLLBACK FAILED: {err}. Qode may be down: sudo journalctl -u {UNIT} -n 50; "
              f"the database copy is {copy}", file=sys.stderr, flush=True)
        return BROKEN
    shutil.rmtree(target, ignore_errors=True)
    print(f"qode update: not updated: {new_version} did not start ({reason}). Rolled back: {old_version} "
          "serves again with the database as it was before the update.", file=sys.stderr, flush=True)
    return ROLLED_BACK


def main(wheel: str, wheelhouse: str | None, kiosk_extra: bool = False, stamp: str | None = None) -> int:
    from .config import SettingError, load

    try:
        settings = load()
    except SettingError as err:
        print(f"qode update: {err}", file=sys.stderr)
        return REFUSED
    data_dir = Path(os.environ.get("QODE_DATA_DIR") or "/var/lib/qode")
    house = wheelhouse or os.environ.get("QODE_WHEELHOUSE") or None
    try:
        return update(Path(wheel), data_dir, settings["UPDATE_HEALTH_TIMEOUT"], Path(house) if house else None,
                      settings["BACKUP_KEEP"], kiosk_extra, stamp)
    except Refused as err:
        print(f"qode update: not updated: {err}", file=sys.stderr, flush=True)
        return REFUSED
