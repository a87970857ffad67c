"""The `qode` command: `serve` runs the box's server, `bench` measures it, `backup`/`restore` keep its data."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from . import __version__, config


def _lan_address() -> str:
    """The box's first LAN address, for links a phone can open; 127.0.0.1 if none."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=2).stdout
    except (OSError, subprocess.SubprocessError):
        return "127.0.0.1"
    for address in out.split():
        if "." in address and not address.startswith("127."):
            return address
    return "127.0.0.1"


def _public_url(settings: dict, host: str, port: int) -> str:
    if settings["PUBLIC_URL"]:
        return settings["PUBLIC_URL"]
    address = host if host not in ("0.0.0.0", "::", "") else _lan_address()
    return f"http://{address}:{port}"


def _prepare(settings: dict, demo: bool, base: str) -> None:
    """Create the data dir, token and schema before the worker starts, and say where to go."""
    from .auth import ensure_admin_token
    from .clock import Clock
    from .db import Database
    from .migrations import migrate
    from .tls import staff_base

    data_dir: Path = settings["DATA_DIR"]
    data_dir.mkdir(parents=True, exist_ok=True)
    # Links that carry a token go to the staff (https) address when the box has one: the token
    # in a link opened over plain http would cross the Wi-Fi in clear.
    staff = staff_base(settings["STAFF_URL"], settings["TLS_CA_FILE"], base)
    token, generated = ensure_admin_token(data_dir, settings["ADMIN_TOKEN"])
    hub = settings["HUB"]
    db = Database(data_dir / ("hub.db" if hub else "qode.db"), settings["BUSY_TIMEOUT"],
                  Clock(settings["TIMEZONE"], settings["DAY_STARTS_AT"]))
    try:
        if hub:
            from .hub import migrate_hub

            migrate_hub(db)
            where = "QODE_ADMIN_TOKEN" if settings["ADMIN_TOKEN"] else data_dir / "admin_token"
            print(f"Qode {__version__} hub: data in {data_dir.resolve()}; its own admin token in {where}")
            if generated:
                print(f"  Hub page: {staff}/hub#token={token}")
            return
        migrate(db)
        if generated:
            print(f"Qode {__version__}: first start in {data_dir.resolve()}")
            print(f"  Admin token (saved in {data_dir / 'admin_token'}, mode 0600): {token}")
            print(f"  Setup link: {staff}/setup#token={token}")
        else:
            print(f"Qode {__version__}: data in {data_dir.resolve()}; admin token in "
                  f"{'QODE_ADMIN_TOKEN' if settings['ADMIN_TOKEN'] else data_dir / 'admin_token'}")
        if demo:
            _demo_queue(db, data_dir, settings, base, staff, token)
    finally:
        db.close()


def _demo_queue(db, data_dir: Path, settings: dict, base: str, staff: str, admin_token: str) -> None:
    """`make run`: a queue called "Front desk", made once, with a link to every page."""
    from .queues import create_queue

    path = data_dir / "demo.json"
    if path.exists():
        demo = json.loads(path.read_text())
    else:
        queue, token = create_queue(db, "Front desk", "A", settings["DEFAULT_CYCLE"])
        demo = {"queue_id": queue["id"], "host_token": token}
        # The demo keeps its host token so the links can be shown again on every `make run`.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(demo, fh)
    if "kiosk_token" not in demo:
        # A kiosk whose "printer" writes PNG files: `make run` prints tickets with no hardware.
        from .queues import add_device

        kiosk = add_device(db, demo["queue_id"], "kiosk", "Demo kiosk")
        demo.update(kiosk_id=kiosk["id"], kiosk_token=kiosk["token"])
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(demo, fh)
    queue_id = demo["queue_id"]
    from .venue import set_default_name

    set_default_name(db, "Qode demo")  # issue 14: brand; setup renames it ("Your venue")
    # Every page (pages.PAGE_ROUTES): the guest's own page opens from the join page, once joined.
    print('  Demo queue "Front desk":')
    print(f"    Host dashboard: {staff}/host/{queue_id}#token={demo['host_token']}")
    print(f"    Guest join:     {base}/join/{queue_id}")
    print(f"    Guest ticket:   {base}/t/<ticket id> (the join page opens it)")
    print(f"    Display (TV):   {base}/display/{queue_id}")
    print(f"    Touch kiosk:    {staff}/kiosk/{queue_id}#token={demo['kiosk_token']}")
    print(f"    Setup (admin):  {staff}/setup#token={admin_token}")
    print(f"    Printed tickets (preview printer): {(data_dir / 'kiosk' / 'preview').resolve()}")
    print(f"    Public state:   {base}/api/queues/{queue_id}")
    print(f"    API document:   {base}/api/openapi.json")
    print(f"    Health:         {base}/healthz")
    if settings["STAFF_HTTPS"] == "off":
        print("    Demo: staff tokens are accepted over plain http (QODE_STAFF_HTTPS=off); a box set up\n"
              "    with install.sh puts staff on https through Caddy (README, \"Staff on https\").")


def _demo_kiosk(data_dir: Path, port: int) -> subprocess.Popen | None:
    """Run the demo kiosk beside the server (preview printer, no button: the touch page presses)."""
    demo = json.loads((data_dir / "demo.json").read_text())
    env = {**os.environ, "QODE_KIOSK_TOKEN": demo["kiosk_token"], "QODE_KIOSK_QUEUE": demo["queue_id"]}
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "qode.cli", "kiosk", "--server", f"http://127.0.0.1:{port}",
             "--printer", "preview", "--button", "none", "--data-dir", str(data_dir / "kiosk")],
            env=env, stdin=subprocess.DEVNULL,
        )
    except OSError as err:
        print(f"qode: the demo kiosk did not start: {err}", file=sys.stderr)
        return None


# The server lock's open file: kept for the life of the process (and inherited by the
# gunicorn worker), since closing it would let a restore run under a live server.
_server_lock = None


def _settings(args: argparse.Namespace) -> dict | None:
    """Settings as `serve` reads them, `--data-dir` winning over QODE_DATA_DIR; None after saying why not."""
    if args.data_dir:
        os.environ["QODE_DATA_DIR"] = args.data_dir
    if getattr(args, "hub", False):
        os.environ["QODE_HUB"] = "on"  # the worker reads it too
    if getattr(args, "demo", False):
        # `make run` has no Caddy in front: its links are plain http to this machine's LAN address,
        # which is not 127.0.0.1, so the demo accepts staff tokens there unless told otherwise.
        os.environ.setdefault("QODE_STAFF_HTTPS", "off")
    try:
        return config.load()
    except config.SettingError as err:
        print(f"qode: {err}", file=sys.stderr)
        return None


def _use_system_malloc() -> None:
    """Run the server on glibc's malloc (PYTHONMALLOC=malloc): re-exec once, if not chosen yet.

    Python's own small-object allocator holds memory in 1 MiB arenas, and one object left
    in an arena keeps all of it: after a flood of live sockets the worker stayed tens of
    MB above idle, growing with each flood. On glibc's malloc the worker's memory
    returns to idle once a flood closes (budgets.MemoryTrimmer). Setting PYTHONMALLOC
    yourself (e.g. `pymalloc`) keeps your choice.
    """
    if "PYTHONMALLOC" in os.environ or not sys.argv or not os.path.isfile(sys.argv[0]):
        return
    if sys.argv[1:2] != ["serve"]:  # only the command line `qode serve ...`, never a caller's main([...])
        return
    os.environ["PYTHONMALLOC"] = "malloc"
    sys.stdout.flush()
    sys.stderr.flush()
    # As a module, whichever way it was started (the `qode` script, or `python -m qode.cli` as
    # the benchmarks do): run as a plain file, cli.py's relative imports would fail.
    os.execv(sys.executable, [sys.executable, "-m", "qode.cli", *sys.argv[1:]])


def serve(args: argparse.Namespace) -> int:
    global _server_lock
    from .backup import ServerRunning, hold_server_lock

    _use_system_malloc()
    settings = _settings(args)
    if settings is None:
        return 2
    data_dir: Path = settings["DATA_DIR"]
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        _server_lock = hold_server_lock(data_dir)
    except ServerRunning:
        print(f"qode: another Qode is already running on {data_dir.resolve()} "
              "(it holds qode.lock there); stop it first", file=sys.stderr)
        return 2
    base = _public_url(settings, args.host, args.port)
    # The worker builds links and QR codes from this, never from a request's Host header: a TV
    # on the box itself at localhost must still show a QR that guests' phones can open.
    os.environ["QODE_PUBLIC_URL"] = base
    _prepare(settings, args.demo, base)
    print(f"  Listening on {args.host}:{args.port}; links use {base}", flush=True)
    from .serving import Server

    kiosk = _demo_kiosk(data_dir, args.port) if args.demo and not settings["HUB"] else None
    master = os.getpid()
    try:
        Server(args.host, args.port).run()
    finally:
        # The forked worker leaves through here too; only the process that started the kiosk stops it.
        if kiosk is not None and os.getpid() == master and kiosk.poll() is None:
            kiosk.terminate()
            kiosk.wait(timeout=10)
    return 0


def backup(args: argparse.Namespace) -> int:
    from .backup import BOX, HUB, BackupError, make_backup

    settings = _settings(args)
    if settings is None:
        return 2
    data_dir: Path = settings["DATA_DIR"]
    kind = HUB if settings["HUB"] else BOX
    try:
        path = make_backup(data_dir / kind.db_name, data_dir / "backups", settings["BACKUP_KEEP"], kind=kind)
    except (BackupError, OSError) as err:
        print(f"qode: backup failed: {err}", file=sys.stderr)
        return 1
    print(path)
    return 0


def restore(args: argparse.Namespace) -> int:
    from .backup import BOX, HUB, BackupError
    from .backup import restore as restore_backup

    settings = _settings(args)
    if settings is None:
        return 2
    data_dir: Path = settings["DATA_DIR"]
    kind = HUB if settings["HUB"] else BOX
    try:
        aside = restore_backup(Path(args.file), data_dir, kind)
    except (BackupError, OSError) as err:
        print(f"qode: not restored: {err}", file=sys.stderr)
        return 1
    print(f"Restored {args.file} into {data_dir / kind.db_name}.")
    if aside:
        print(f"The previous database was set aside as {aside}.")
    else:
        print("There was no database before.")
    return 0


# `qode bench WHAT` runs qode_bench.<module>.main. The benchmarks are a separate distribution
# (bench/, `qode-bench`), so the box's runtime package carries none of them.
BENCHMARKS = {
    "issue": "issue", "fanout": "live", "eta": "eta", "eta-services": "eta_services", "pages": "pages",
    "kiosk": "kiosk", "hub": "hub", "voice": "voice",
}


def bench(args: argparse.Namespace) -> int:
    import importlib

    try:
        module = importlib.import_module(f"qode_bench.{BENCHMARKS[args.what]}")
    except ModuleNotFoundError as err:
        if (err.name or "").partition(".")[0] != "qode_bench":
            raise
        print("qode bench: the benchmarks are not installed here. They are a separate distribution in "
              "the source tree's bench/ folder, not on PyPI: `pip install -e ./bench` in a checkout, or "
              "`pip wheel --no-deps -w DIR ./bench` and then `pip install --find-links DIR 'qode[bench]'`.",
              file=sys.stderr)
        return 2
    return module.main(args)


KIOSK_FLAGS = {  # flag -> the setting it overrides
    "server": "QODE_KIOSK_SERVER", "queue": "QODE_KIOSK_QUEUE", "token": "QODE_KIOSK_TOKEN",
    "printer": "QODE_KIOSK_PRINTER", "paper": "QODE_KIOSK_PAPER", "button": "QODE_KIOSK_BUTTON",
    "led": "QODE_KIOSK_LED", "data_dir": "QODE_KIOSK_DATA_DIR",
}


def update(args: argparse.Namespace) -> int:
    from .update import main as update_main

    return update_main(args.wheel, args.wheelhouse, kiosk_extra=args.kiosk_extra, stamp=args.stamp)


def kiosk(args: argparse.Namespace) -> int:
    from qode_kiosk import config as kiosk_config
    from qode_kiosk import daemon
    from qode_kiosk.gpio import EX_CONFIG

    flags = {KIOSK_FLAGS[k]: getattr(args, k) for k in KIOSK_FLAGS}
    try:
        settings = kiosk_config.load(flags)
    except kiosk_config.KioskSettingError as err:
        # A setting that cannot work does not fix itself: EX_CONFIG (78), which the unit does not
        # restart. When only a GPIO setting is wrong (button, service buttons, priority button, LED),
        # the kiosk still knows its server and token, so the host's kiosk card shows the same line.
        message = str(err)
        if message.startswith(("button ", "led ")) or err.pins:
            if not err.pins:
                message = f"QODE_KIOSK_{message[:message.index(' ')].upper()}: {message.split(' ', 1)[1]}"
            try:
                known = kiosk_config.load({**flags, **kiosk_config.NO_PINS})
            except kiosk_config.KioskSettingError:
                known = None
            if known is not None:
                return daemon.stop_for_setting(known, message)
        print(f"qode kiosk: {message}", file=sys.stderr)
        return EX_CONFIG
    return daemon.run(settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qode", description="Qode queue-ticket appliance")
    parser.add_argument("--version", action="version", version=f"qode {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the server (gunicorn, one gevent worker)")
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--data-dir", help="data folder (default $QODE_DATA_DIR or ./instance)")
    p.add_argument("--demo", action="store_true", help='create a "Front desk" queue on first run')
    p.add_argument("--hub", action="store_true", help="run the hub that boxes sync to (QODE_HUB=on), "
                                                      "with its own data folder and admin token")
    p.set_defaults(func=serve)

    p = sub.add_parser("kiosk", help="run a kiosk: button, printer, and print jobs from the server",
                       description="Each flag overrides its QODE_KIOSK_* setting (see the README).")
    p.add_argument("--server", help="the server's URL, e.g. http://192.168.1.20:8000")
    p.add_argument("--queue", help="the queue id this kiosk issues for")
    p.add_argument("--token", help="the kiosk's device token (prefer QODE_KIOSK_TOKEN: flags show in ps)")
    p.add_argument("--printer", help="usb:VID:PID, serial:DEV[:BAUD], network:HOST[:PORT], file:PATH, "
                                     "dummy or preview")
    p.add_argument("--paper", help="paper width in mm: 58 or 80")
    p.add_argument("--button", help="gpio:PIN, key, stdin or none")
    p.add_argument("--led", help="gpio:PIN of a status LED, or off")
    p.add_argument("--data-dir", help="where preview tickets are written")
    p.set_defaults(func=kiosk)

    p = sub.add_parser("bench", help="benchmarks against a real server")
    p.add_argument("what", choices=list(BENCHMARKS),
                   help="issue: ticket issuance and status reads; fanout: live fan-out, memory, join burst; "
                        "eta: the wait-time estimator replayed over simulated days; "
                        "eta-services: the same over multi-service days (issue 15); "
                        "pages: the guest page on a throttled phone (bytes, paint, number visible); "
                        "kiosk: a button press to the last byte at a (fake) printer; "
                        "hub: 100 boxes pushing a day each to a hub; "
                        "voice: each language's call announcement made on the box (issue 16)")
    p.add_argument("--seconds", type=float, default=5.0, help="duration of each measurement")
    p.add_argument("--concurrency", default="1,32,256", help="comma-separated client counts")
    p.add_argument("--port", type=int, default=8765, help="port for the server under test")
    p.add_argument("--seed", type=int, default=1, help="eta: the simulator's seed")
    p.add_argument("--days", type=int, default=None, help="eta: simulated days per scenario")
    p.add_argument("--late-share", type=float, default=None,
                   help="eta: share of guests who press \"I'm running late\" once (default 0.03; 0: none)")
    p.add_argument("--ignore-late", action="store_true",
                   help="eta: the estimators never see `running_late` (as before issue 16), same days")
    p.add_argument("--loads", type=int, default=None, help="pages: cold loads of each page (medians of "
                   "these, default 7); voice: makes of each announcement (default 5)")
    p.add_argument("--profile", choices=["none", "pi"], default="none",
                   help="issue, fanout, kiosk: `pi` runs the server (and the baselines) with a slow fsync "
                        "and a CPU quota (issue 17; qode_bench/profile.py says what it models)")
    p.add_argument("--fsync-ms", type=float, default=20.0, help="--profile pi: milliseconds each fsync takes "
                   "longer (default 20, a cheap SD card; 5 a good one)")
    p.add_argument("--cores", type=float, default=1.0, help="--profile pi: the server's CPU quota in cores "
                   "(default 1)")
    p.set_defaults(func=bench)

    p = sub.add_parser("backup", help="copy the database to <data-dir>/backups (safe while serving)")
    p.add_argument("--data-dir", help="data folder (default $QODE_DATA_DIR or ./instance)")
    p.add_argument("--hub", action="store_true", help="a hub's database (hub.db), as QODE_HUB=on")
    p.set_defaults(func=backup)

    p = sub.add_parser("update", help="install a new version beside this one; back to this one by itself "
                                      "if it does not start (as root, on a box made by install.sh)")
    p.add_argument("wheel", metavar="WHEEL", help="the new version: a qode-X.Y.Z-py3-none-any.whl")
    p.add_argument("--wheelhouse", metavar="DIR", help="install its dependencies only from this folder of "
                                                       "wheels (no internet; default $QODE_WHEELHOUSE)")
    # For install.sh, which decides these before its settings files exist.
    p.add_argument("--kiosk-extra", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--stamp", help=argparse.SUPPRESS)
    p.set_defaults(func=update)

    p = sub.add_parser("restore", help="replace the database with a backup (server stopped)")
    p.add_argument("file", metavar="FILE", help="a backup made by `qode backup`")
    p.add_argument("--data-dir", help="data folder (default $QODE_DATA_DIR or ./instance)")
    p.add_argument("--hub", action="store_true", help="a hub's database (hub.db), as QODE_HUB=on")
    p.set_defaults(func=restore)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
