"""Make tests/data/release_m012.sql and release_m012.json: a box's database as the release before
issue 15 (migrations m001-m012) leaves it, for tests/test_migrate_services.py (must-show 6).

It was run ONCE at commit f410bed (the release's code: `git worktree add /tmp/rel f410bed`, then
`PYTHONPATH=/tmp/rel/server:/tmp/rel/common python tests/data/make_release_db.py tests/data`).
Run against newer code it would make a migrated database, not a release one: it refuses to.

Everything goes through the release's own REST contract (Flask's test client, so no server
process): three queues, two days of joins from the web, kiosks and hosts, calls at named counters
(and at the default one), serve/complete/no-show/requeue/recall/cancel, a closed counter with a
"back in", a pause, a bulk cancel, kiosk and display devices (one revoked), a kiosk printer with a
print job, a rotated host token, a closed queue. The clock is a fake one (fixed times, a boot id of
its own: the box reboots into the new release). The tokens are random; their plain texts are kept
in the JSON file (only their hashes are in the database, as on a real box).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

ADMIN = "release-admin-token-0123456789abcdef"


def main(out_dir: Path) -> None:
    from qode import create_app, migrations
    from qode.clock import Clock

    if any(name >= "m013" for name, _ in migrations.MIGRATIONS):
        sys.exit("this code already has m013: run this at the release's commit (see the docstring)")

    class Fake(Clock):
        boot_id = "release-boot-00000000-0000-0000-0000-000000000001"

        def __init__(self):
            super().__init__("UTC")
            self.at = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
            self.mono = 5000.0

        def system_now(self):
            return self.at

        def monotonic(self):
            return self.mono

        def advance(self, seconds):
            self.at += timedelta(seconds=seconds)
            self.mono += seconds

    with TemporaryDirectory() as tmp:
        app = create_app({"QODE_DATA_DIR": tmp, "QODE_ADMIN_TOKEN": ADMIN, "QODE_TIMEZONE": "UTC",
                          "QODE_JOIN_RATE_LIMIT": "off", "QODE_AUTH_RATE_LIMIT": "off",
                          "QODE_QUEUE_MAX_ACTIVE": "off", "QODE_MAX_ACTIVE_PER_ADDRESS": "off",
                          "QODE_MAX_ACTIVE_PER_DEVICE": "off", "QODE_SCHEDULER": "off"})
        db = app.extensions["qode_db"]
        clock = Fake()
        db.clock = clock
        c = app.test_client()
        adm = {"Authorization": f"Bearer {ADMIN}"}

        def ok(response, *codes):
            assert response.status_code in (codes or (200, 201)), (response.status_code, response.get_json())
            return response.get_json()

        def bearer(token):
            return {"Authorization": f"Bearer {token}"}

        made = {}
        for key, name, prefix in (("reg", "Registration", "R"), ("pay", "Payments", "P"),
                                  ("pass", "Passports", "")):
            body = ok(c.post("/api/queues", json={"name": name, "prefix": prefix}, headers=adm), 201)
            made[key] = {"id": body["id"], "token": body["host_token"], "old_tokens": []}
        reg, pay, pas = made["reg"], made["pay"], made["pass"]

        def join(q, i=None, token=None):
            clock.advance(37)
            body = {} if token else {"device_token": f"guest-device-{q['id'][:8]}-{i:04d}"}
            return ok(c.post(f"/api/queues/{q['id']}/tickets", json=body,
                             headers=bearer(token) if token else {}), 201)

        def host(q, method, path, body=None):
            clock.advance(11)
            return ok(c.open(path, method=method, json=body or {}, headers=bearer(q["token"])))

        # devices: a kiosk with a printer, a display, a second kiosk (revoked later), a kiosk elsewhere
        kiosk = ok(c.post(f"/api/queues/{reg['id']}/devices", json={"name": "Door kiosk", "kind": "kiosk"},
                          headers=bearer(reg["token"])), 201)
        display = ok(c.post(f"/api/queues/{reg['id']}/devices", json={"name": "Hall TV", "kind": "display"},
                            headers=bearer(reg["token"])), 201)
        spare = ok(c.post(f"/api/queues/{reg['id']}/devices", json={"name": "Spare kiosk", "kind": "kiosk"},
                          headers=bearer(reg["token"])), 201)
        pay_kiosk = ok(c.post(f"/api/queues/{pay['id']}/devices", json={"name": "Pay kiosk", "kind": "kiosk"},
                              headers=bearer(pay["token"])), 201)
        ok(c.post("/api/device/status", json={"printer": "ready"}, headers=bearer(kiosk["token"])))

        # ---- day 1 (2026-11-30): leftovers stay WAITING/CALLED/SERVING into day 2
        for i in range(6):
            join(reg, i)
        join(reg, token=kiosk["token"])
        join(pay, 0)
        join(pay, 1)
        host(reg, "POST", f"/api/queues/{reg['id']}/counters", {"counter": "2", "open": True})
        host(reg, "POST", f"/api/queues/{reg['id']}/call-next", {"counter": "2"})
        host(reg, "POST", f"/api/queues/{reg['id']}/call-next", {})  # the default counter "1"
        host(pay, "POST", f"/api/queues/{pay['id']}/call-next", {"counter": "2"})
        clock.advance(3600 * 10)  # 18:xx: the day ends with a line still there

        # ---- day 2 (2026-12-01)
        clock.at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
        clock.mono += 3600 * 4
        numbers = {}
        for i in range(10, 22):
            numbers[i] = join(reg, i)
        for i in range(3):
            numbers[f"k{i}"] = join(reg, token=kiosk["token"])
        numbers["h"] = join(reg, token=reg["token"])
        for i in range(10, 16):
            numbers[f"p{i}"] = join(pay, i)
        join(pay, token=pay_kiosk["token"])
        for i in range(3):
            join(pas, i)
        for name in ("1", "2", "3"):
            host(reg, "POST", f"/api/queues/{reg['id']}/counters", {"counter": name, "open": True})
        first = host(reg, "POST", f"/api/queues/{reg['id']}/call-next", {"counter": "2"})
        host(reg, "POST", f"/api/tickets/{first['id']}/serve")
        second = host(reg, "POST", f"/api/queues/{reg['id']}/call-next", {"counter": "3"})
        host(reg, "POST", f"/api/tickets/{second['id']}/no-show")
        third = host(reg, "POST", f"/api/queues/{reg['id']}/call-next", {"counter": "3"})
        host(reg, "POST", f"/api/tickets/{third['id']}/requeue")
        host(reg, "POST", f"/api/queues/{reg['id']}/call-next", {"counter": "2"})  # ends the served one
        host(reg, "POST", f"/api/queues/{reg['id']}/call-next", {})  # default counter "1"
        host(reg, "POST", f"/api/tickets/{numbers[18]['id']}/recall", {"counter": "3"})  # out of turn
        host(reg, "POST", f"/api/tickets/{numbers[15]['id']}/cancel")
        ok(c.post(f"/api/tickets/{numbers[16]['id']}/cancel", json={}))  # the guest cancels
        host(reg, "POST", f"/api/queues/{reg['id']}/counters",
             {"counter": "3", "open": False, "back_in_minutes": 15})
        called = host(pay, "POST", f"/api/queues/{pay['id']}/call-next", {"counter": "2"})
        host(pay, "POST", f"/api/tickets/{called['id']}/complete")
        host(pay, "POST", f"/api/queues/{pay['id']}/call-next", {"counter": "Desk A"})
        host(pay, "PATCH", f"/api/queues/{pay['id']}", {"is_paused": True, "back_in_minutes": 10})
        host(pay, "PATCH", f"/api/queues/{pay['id']}", {"is_paused": False, "grace_period": 120})
        host(pas, "POST", f"/api/queues/{pas['id']}/call-next", {"counter": "1"})
        host(pas, "POST", f"/api/queues/{pas['id']}/cancel-waiting", {"source": "web"})
        host(pas, "POST", f"/api/queues/{pas['id']}/close-and-clear")
        host(reg, "DELETE", f"/api/queues/{reg['id']}/devices/{spare['id']}")
        # the Registration host token is rotated: the old one must stay dead, the new one work
        reg["old_tokens"].append(reg["token"])
        reg["token"] = host(reg, "POST", f"/api/queues/{reg['id']}/rotate-token")["host_token"]
        for i in range(22, 24):
            join(reg, i)

        with db.read() as conn:
            counts = {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                      for table in ("queues", "tickets", "events", "devices", "counters", "print_jobs")}
            applied = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
        db.close()
        src = sqlite3.connect(Path(tmp) / "qode.db")
        dump = "\n".join(src.iterdump()) + "\n"
        src.close()

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "release_m012.sql").write_text(
        "-- A box's database made by the release before issue 15 (m001-m012): tests/data/make_release_db.py\n"
        + dump)
    (out_dir / "release_m012.json").write_text(json.dumps({
        "admin_token": ADMIN, "clock_at": clock.at.isoformat(), "boot_id": Fake.boot_id,
        "migrations": applied, "counts": counts,
        "queues": made,
        "devices": {"kiosk": kiosk, "display": display, "revoked_kiosk": spare, "pay_kiosk": pay_kiosk},
    }, indent=2) + "\n")
    print(counts)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent))
