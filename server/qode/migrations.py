"""Schema as append-only migrations, recorded in `_migrations`.

Never edit a migration once it has shipped: add a new one below it.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from .clock import iso
from .db import Database

MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = []


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def _run(conn: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it would commit the open transaction first.
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


@migration
def m001_core(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE queues (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            prefix TEXT NOT NULL DEFAULT '',
            host_token_hash TEXT NOT NULL UNIQUE,
            active INTEGER NOT NULL DEFAULT 1,
            is_paused INTEGER NOT NULL DEFAULT 0,
            current_position INTEGER NOT NULL DEFAULT 0,
            last_number_issued INTEGER NOT NULL DEFAULT 0,
            avg_wait_time INTEGER NOT NULL DEFAULT 300,
            default_cycle INTEGER NOT NULL DEFAULT 300,
            grace_period INTEGER,
            service_day TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE tickets (
            id TEXT PRIMARY KEY,
            queue_id TEXT NOT NULL REFERENCES queues(id),
            device_token TEXT,
            position_number INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN
                ('WAITING','CALLED','SERVING','COMPLETED','NO_SHOW','CANCELLED')),
            source TEXT NOT NULL CHECK (source IN ('web','kiosk','host')),
            counter TEXT,
            reason TEXT,
            service_day TEXT NOT NULL,
            created_at TEXT NOT NULL,
            called_at TEXT,
            serving_at TEXT,
            completed_at TEXT
        );
        CREATE INDEX idx_tickets_queue_id ON tickets(queue_id);
        CREATE INDEX idx_tickets_device_token ON tickets(device_token);
        CREATE INDEX idx_tickets_status ON tickets(status);
        CREATE UNIQUE INDEX idx_tickets_number
            ON tickets(queue_id, service_day, position_number);
        CREATE TABLE counters (
            queue_id TEXT NOT NULL REFERENCES queues(id),
            name TEXT NOT NULL,
            is_open INTEGER NOT NULL DEFAULT 1,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (queue_id, name)
        );
        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            queue_id TEXT NOT NULL REFERENCES queues(id),
            kind TEXT NOT NULL CHECK (kind IN ('kiosk','display')),
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            queue_id TEXT NOT NULL,
            type TEXT NOT NULL,
            ticket_id TEXT,
            ticket_number INTEGER,
            data TEXT NOT NULL DEFAULT '{}',
            service_day TEXT,
            created_at TEXT NOT NULL,
            mono REAL NOT NULL,
            boot_id TEXT NOT NULL
        );
        CREATE INDEX idx_events_queue_seq ON events(queue_id, seq);
        CREATE TABLE idempotency (
            credential TEXT NOT NULL,
            key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            status INTEGER NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (credential, key)
        );
        CREATE INDEX idx_idempotency_created ON idempotency(created_at);
        """
    )


@migration
def m002_waiting_index(conn: sqlite3.Connection) -> None:
    # people_ahead and waiting_count run on every join and status read: count within one
    # queue's day and status instead of scanning every ticket the queue ever had.
    conn.execute(
        "CREATE INDEX idx_tickets_day_status ON tickets(queue_id, service_day, status, position_number)"
    )


@migration
def m003_device_index(conn: sqlite3.Connection) -> None:
    # "does this device already hold an active ticket today?" runs on every join.
    conn.execute("CREATE INDEX idx_tickets_day_device ON tickets(queue_id, service_day, device_token)")


@migration
def m004_waiting_count(conn: sqlite3.Connection) -> None:
    # How many tickets of a queue are WAITING, kept by triggers in the same transaction as
    # every status change, so joins and public state need no count over the line.
    conn.execute("ALTER TABLE queues ADD COLUMN waiting_count INTEGER NOT NULL DEFAULT 0")
    conn.execute(
        "UPDATE queues SET waiting_count ="
        " (SELECT COUNT(*) FROM tickets t WHERE t.queue_id = queues.id AND t.status = 'WAITING')"
    )
    conn.execute(
        "CREATE TRIGGER tickets_waiting_insert AFTER INSERT ON tickets WHEN NEW.status = 'WAITING'"
        " BEGIN UPDATE queues SET waiting_count = waiting_count + 1 WHERE id = NEW.queue_id; END"
    )
    conn.execute(
        "CREATE TRIGGER tickets_waiting_update AFTER UPDATE OF status ON tickets"
        " WHEN (OLD.status = 'WAITING') != (NEW.status = 'WAITING')"
        " BEGIN UPDATE queues SET waiting_count = waiting_count"
        " + (CASE WHEN NEW.status = 'WAITING' THEN 1 ELSE -1 END) WHERE id = NEW.queue_id; END"
    )
    conn.execute(
        "CREATE TRIGGER tickets_waiting_delete AFTER DELETE ON tickets WHEN OLD.status = 'WAITING'"
        " BEGIN UPDATE queues SET waiting_count = waiting_count - 1 WHERE id = OLD.queue_id; END"
    )


@migration
def m005_eta_jobs_clock(conn: sqlite3.Connection) -> None:
    # The estimator's state per queue (durations only), with the last event it applied.
    conn.execute(
        "CREATE TABLE eta_state (queue_id TEXT PRIMARY KEY REFERENCES queues(id), seq INTEGER NOT NULL,"
        " state TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )
    # z of the safety margin, 0.2 unless a host changes it (0 = none; see docs/benchmarks.md, "ETA
    # replay"); grace_period (seconds, NULL = off) already exists.
    conn.execute("ALTER TABLE queues ADD COLUMN eta_margin REAL NOT NULL DEFAULT 0.2")
    # How far the hub has acknowledged the event log: the retention purge never passes it.
    conn.execute(
        "CREATE TABLE sync_state (id INTEGER PRIMARY KEY CHECK (id = 1), acked_seq INTEGER NOT NULL)"
    )
    conn.execute("INSERT INTO sync_state (id, acked_seq) VALUES (1, 0)")
    # A host's tablet time: the wall time it gave, pinned to a monotonic reading of one boot.
    conn.execute(
        "CREATE TABLE clock_fix (id INTEGER PRIMARY KEY CHECK (id = 1), boot_id TEXT NOT NULL,"
        " mono REAL NOT NULL, wall TEXT NOT NULL, set_at TEXT NOT NULL)"
    )


@migration
def m006_events_by_ticket(conn: sqlite3.Connection) -> None:
    # The automatic no-show finds each CALLED ticket's last call every few seconds.
    conn.execute("CREATE INDEX idx_events_ticket ON events(ticket_id, seq)")


@migration
def m007_printing(conn: sqlite3.Connection) -> None:
    # A kiosk's printer as it last reported it (NULL: never reported one, e.g. a touch screen).
    conn.execute("ALTER TABLE devices ADD COLUMN printer TEXT")
    conn.execute("ALTER TABLE devices ADD COLUMN printer_detail TEXT")
    conn.execute("ALTER TABLE devices ADD COLUMN status_at TEXT")
    # Whether a kiosk ticket reached paper: NULL (not a printed ticket), pending, printed, failed.
    conn.execute("ALTER TABLE tickets ADD COLUMN print_status TEXT")
    # A ticket a kiosk must print; `mono` and `boot_id` time its 2-minute life (never the wall clock).
    conn.execute(
        "CREATE TABLE print_jobs (id TEXT PRIMARY KEY, queue_id TEXT NOT NULL REFERENCES queues(id),"
        " device_id TEXT NOT NULL REFERENCES devices(id), ticket_id TEXT NOT NULL REFERENCES tickets(id),"
        " reason TEXT NOT NULL CHECK (reason IN ('issue','reprint')),"
        " status TEXT NOT NULL CHECK (status IN ('pending','done','failed','expired')),"
        " error TEXT, created_at TEXT NOT NULL, mono REAL NOT NULL, boot_id TEXT NOT NULL,"
        " finished_at TEXT)"
    )
    conn.execute("CREATE INDEX idx_print_jobs_pending ON print_jobs(status, device_id)")
    conn.execute("CREATE INDEX idx_print_jobs_ticket ON print_jobs(ticket_id)")


@migration
def m008_sync_status(conn: sqlite3.Connection) -> None:
    # How the last push to the hub went, for /healthz and the host (the cursor is acked_seq).
    conn.execute("ALTER TABLE sync_state ADD COLUMN last_success TEXT")
    conn.execute("ALTER TABLE sync_state ADD COLUMN last_error TEXT")
    # The key of the ticket pseudonyms the hub gets instead of ticket ids (the guests' capabilities).
    conn.execute("ALTER TABLE sync_state ADD COLUMN secret TEXT")
    conn.execute("UPDATE sync_state SET secret = lower(hex(randomblob(32)))")


@migration
def m009_ticket_origin(conn: sqlite3.Connection) -> None:
    # Where a web join came from, as a keyed hash of the address (never the address itself), so
    # the per-address cap counts a guest's active tickets inside the issuing transaction.
    conn.execute("ALTER TABLE tickets ADD COLUMN origin TEXT")
    conn.execute("CREATE INDEX idx_tickets_day_origin ON tickets(queue_id, service_day, origin, status)")


@migration
def m010_device_error(conn: sqlite3.Connection) -> None:
    # What stopped a kiosk that cannot run as set up (e.g. a GPIO pin that cannot be used), as it
    # said before exiting; NULL once it reports again without one (it runs).
    conn.execute("ALTER TABLE devices ADD COLUMN error TEXT")


@migration
def m011_venue(conn: sqlite3.Connection) -> None:
    # issue 14: brand. The venue's look, one row (venue.py); NULL means "not set yet". The logo's
    # bytes live in <data-dir>/venue/, named by logo_version (a hash of them).
    conn.execute(
        """
        CREATE TABLE venue (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            name TEXT,
            accent TEXT,
            footer TEXT,
            language TEXT,
            logo_version TEXT,
            logo_type TEXT,
            updated_at TEXT NOT NULL
        )
        """
    )
    conn.execute("INSERT INTO venue (id, updated_at) VALUES (1, ?)", (iso(datetime.now(UTC)),))


@migration
def m012_device_seen_and_revoked(conn: sqlite3.Connection) -> None:
    # issue 14 (dense): when a device's live socket last came or went (its "last seen" with
    # status_at), and when setup or the host revoked it (its token no longer identifies it; the row
    # stays for the print jobs that name it).
    conn.execute("ALTER TABLE devices ADD COLUMN seen_at TEXT")
    conn.execute("ALTER TABLE devices ADD COLUMN revoked_at TEXT")


@migration
def m013_services(conn: sqlite3.Connection) -> None:
    # issue 15: model. Several services on one box (docs/services.md, section 2). Services are the
    # queues; counters become box-wide desks serving a set of services; devices and host tokens
    # get their services; tickets keep the service that numbered them and their place in a line.
    _run(
        conn,
        """
        ALTER TABLE queues ADD COLUMN transfer_placement TEXT NOT NULL DEFAULT 'original'
            CHECK (transfer_placement IN ('original','end'));
        ALTER TABLE queues ADD COLUMN priority_on_join INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE queues ADD COLUMN priority_streak INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE queues ADD COLUMN sort_order INTEGER NOT NULL DEFAULT 0;
        UPDATE queues SET sort_order = (SELECT COUNT(*) FROM queues q2 WHERE q2.created_at < queues.created_at
                                         OR (q2.created_at = queues.created_at AND q2.id < queues.id));

        ALTER TABLE tickets ADD COLUMN issued_queue_id TEXT REFERENCES queues(id);
        UPDATE tickets SET issued_queue_id = queue_id;
        DROP INDEX idx_tickets_number;
        CREATE UNIQUE INDEX idx_tickets_number ON tickets(issued_queue_id, service_day, position_number);
        ALTER TABLE tickets ADD COLUMN priority INTEGER NOT NULL DEFAULT 0 CHECK (priority IN (0, 1));
        ALTER TABLE tickets ADD COLUMN line_seq INTEGER;
        UPDATE tickets SET line_seq = COALESCE(
            (SELECT MIN(e.seq) FROM events e WHERE e.ticket_id = tickets.id AND e.type = 'join'),
            position_number - 1000000000);
        ALTER TABLE tickets ADD COLUMN line_mono REAL;
        ALTER TABLE tickets ADD COLUMN line_boot TEXT;
        UPDATE tickets SET line_mono = (SELECT e.mono FROM events e WHERE e.seq = tickets.line_seq),
                           line_boot = (SELECT e.boot_id FROM events e WHERE e.seq = tickets.line_seq);
        ALTER TABLE tickets ADD COLUMN counter_id TEXT;
        ALTER TABLE tickets ADD COLUMN transfers INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX idx_tickets_line ON tickets(queue_id, service_day, status, line_seq);

        ALTER TABLE counters RENAME TO counters_m012;
        CREATE TABLE counters (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            rule TEXT NOT NULL DEFAULT 'order' CHECK (rule IN ('order','weighted')),
            is_open INTEGER NOT NULL DEFAULT 1,
            staff_name TEXT,
            back_at_mono REAL, back_at_boot TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE counter_services (
            counter_id TEXT NOT NULL REFERENCES counters(id),
            queue_id TEXT NOT NULL REFERENCES queues(id),
            position INTEGER NOT NULL,
            weight REAL NOT NULL DEFAULT 1.0 CHECK (weight > 0 AND weight <= 100),
            PRIMARY KEY (counter_id, queue_id)
        );
        CREATE INDEX idx_counter_services_queue ON counter_services(queue_id)
        """,
    )
    # Each old (queue_id, name) counter: one counter serving that one service (a fresh UUID each).
    old_counters = "SELECT queue_id, name, is_open, updated_at FROM counters_m012 ORDER BY rowid"
    for old in conn.execute(old_counters).fetchall():
        counter_id = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO counters (id, name, rule, is_open, created_at, updated_at)"
            " VALUES (?, ?, 'order', ?, ?, ?)",
            (counter_id, old["name"], old["is_open"], old["updated_at"], old["updated_at"]),
        )
        conn.execute(
            "INSERT INTO counter_services (counter_id, queue_id, position, weight) VALUES (?, ?, 0, 1.0)",
            (counter_id, old["queue_id"]),
        )
    _run(
        conn,
        """
        UPDATE tickets SET counter_id = (SELECT cs.counter_id FROM counter_services cs JOIN counters c
                ON c.id = cs.counter_id WHERE cs.queue_id = tickets.queue_id AND c.name = tickets.counter)
            WHERE counter IS NOT NULL;
        DROP TABLE counters_m012;

        CREATE TABLE device_services (
            device_id TEXT NOT NULL REFERENCES devices(id),
            queue_id TEXT NOT NULL REFERENCES queues(id),
            position INTEGER NOT NULL,
            PRIMARY KEY (device_id, queue_id)
        );
        INSERT INTO device_services (device_id, queue_id, position) SELECT id, queue_id, 0 FROM devices;

        CREATE TABLE host_tokens (
            id TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('staff','manager')),
            scope TEXT NOT NULL CHECK (scope IN ('services','box')),
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE TABLE host_token_services (
            token_id TEXT NOT NULL REFERENCES host_tokens(id),
            queue_id TEXT NOT NULL REFERENCES queues(id),
            PRIMARY KEY (token_id, queue_id)
        )
        """,
    )
    # Each queue's host token: a manager token scoped to that one service (the same hash).
    for queue in conn.execute("SELECT id, name, host_token_hash, created_at FROM queues ORDER BY rowid"):
        token_id = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO host_tokens (id, token_hash, role, scope, name, created_at, revoked_at)"
            " VALUES (?, ?, 'manager', 'services', ?, ?, NULL)",
            (token_id, queue["host_token_hash"], queue["name"], queue["created_at"]),
        )
        conn.execute("INSERT INTO host_token_services (token_id, queue_id) VALUES (?, ?)",
                     (token_id, queue["id"]))
    # waiting_count follows a WAITING ticket that changes service (m004's triggers see status changes only).
    conn.execute(
        "CREATE TRIGGER tickets_waiting_move AFTER UPDATE OF queue_id ON tickets"
        " WHEN OLD.queue_id != NEW.queue_id AND OLD.status = 'WAITING' AND NEW.status = 'WAITING'"
        " BEGIN UPDATE queues SET waiting_count = waiting_count - 1 WHERE id = OLD.queue_id;"
        " UPDATE queues SET waiting_count = waiting_count + 1 WHERE id = NEW.queue_id; END"
    )


@migration
def m015_sms(conn: sqlite3.Connection) -> None:
    """Issue 16 (sms): a guest's phone number for texts, kept only while the ticket is active.

    The number lives in `sms_phones` alone (never in an event, so never synced); a trigger
    deletes it, and the ticket's outbox rows, the moment the ticket ends, whatever ended it
    (a move, close and clear, the day rollover); `sms_erased` counts deletions so the sender
    knows when to wipe old copies from the WAL. `sms_outbox` has one row per ticket and kind
    (`nearly`, `called`): a text exists once, whatever is recomputed or recalled. `sms_days`
    counts each service day's sends and failures (the daily cap, the host's figures).
    """
    _run(
        conn,
        """
        CREATE TABLE sms_phones (
            ticket_id TEXT PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
            phone TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE sms_outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ticket_id TEXT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('nearly', 'called')),
            body TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'capped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            retry_at REAL,
            service_day TEXT NOT NULL,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            UNIQUE (ticket_id, kind)
        );
        CREATE INDEX idx_sms_outbox_status ON sms_outbox(status, id);
        CREATE TABLE sms_days (
            service_day TEXT PRIMARY KEY,
            sent INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE sms_erased (id INTEGER PRIMARY KEY CHECK (id = 1), erased INTEGER NOT NULL);
        INSERT INTO sms_erased (id, erased) VALUES (1, 0)
        """,
    )
    conn.execute(
        "CREATE TRIGGER sms_ticket_ended AFTER UPDATE OF status ON tickets"
        " WHEN NEW.status NOT IN ('WAITING', 'CALLED', 'SERVING')"
        " BEGIN DELETE FROM sms_phones WHERE ticket_id = NEW.id;"
        " DELETE FROM sms_outbox WHERE ticket_id = NEW.id; END"
    )
    conn.execute(
        "CREATE TRIGGER sms_phone_erased AFTER DELETE ON sms_phones"
        " BEGIN UPDATE sms_erased SET erased = erased + 1 WHERE id = 1; END"
    )


@migration
def m016_nearly_up(conn: sqlite3.Connection) -> None:
    # issue 16: nearly. Per service: the guest's phone says "you're nearly up" once this many or
    # fewer people are ahead (0: only when called). Only the box needs it: the hub gets the
    # `queue_settings` event, never the queues table.
    conn.execute("ALTER TABLE queues ADD COLUMN nearly_up INTEGER NOT NULL DEFAULT 3"
                 " CHECK (nearly_up BETWEEN 0 AND 20)")


@migration
def m017_running_late(conn: sqlite3.Connection) -> None:
    """issue 16 (docs/services.md, section 15): "I'm running late". `late_uses`: how many times the
    ticket moved back; `line_rank`: its place among tickets sharing one `line_seq` (a ticket that
    moved back takes the line_seq of the ticket it now stands behind, with a rank one above it)."""
    _run(
        conn,
        """
        ALTER TABLE tickets ADD COLUMN late_uses INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE tickets ADD COLUMN line_rank INTEGER NOT NULL DEFAULT 0
        """
    )


@migration
def m018_grace(conn: sqlite3.Connection) -> None:
    """Issue 16, grace: when a no-show ticket was put back in line (once per ticket; NULL: never)."""
    conn.execute("ALTER TABLE tickets ADD COLUMN returned_at TEXT")


@migration
def m019_display_voice(conn: sqlite3.Connection) -> None:
    """Issue 16, voice per display: whether a registered display says its calls (1, the default)
    or only chimes (0). The host switches it; the display hears it on its device channel.
    Kiosks keep 1 and ignore it."""
    conn.execute("ALTER TABLE devices ADD COLUMN voice INTEGER NOT NULL DEFAULT 1 CHECK (voice IN (0, 1))")


@migration
def m020_waiting_priority(conn: sqlite3.Connection) -> None:
    """Issue 17, a leaner join: "does a priority ticket wait?" (asked by every join) read every
    waiting ticket of the line; this index holds only the waiting priority ones, usually none."""
    conn.execute("CREATE INDEX idx_tickets_waiting_priority ON tickets(queue_id, service_day)"
                 " WHERE status = 'WAITING' AND priority != 0")


# ---- the hub's database (`qode serve --hub`, hub.db): its own list, applied by hub.migrate_hub ----
HUB_MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = []


def hub_migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    HUB_MIGRATIONS.append((fn.__name__, fn))
    return fn


@hub_migration
def h001_sites(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE sites (
            device_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            last_seen TEXT,
            last_seq INTEGER NOT NULL DEFAULT 0,
            events INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE site_events (
            device_id TEXT NOT NULL REFERENCES sites(device_id),
            seq INTEGER NOT NULL,
            queue_id TEXT NOT NULL,
            type TEXT NOT NULL,
            ticket_id TEXT,
            ticket_number INTEGER,
            data TEXT NOT NULL,
            service_day TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (device_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE site_queues (
            device_id TEXT NOT NULL,
            queue_id TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            prefix TEXT NOT NULL DEFAULT '',
            now_serving INTEGER,
            service_day TEXT,
            PRIMARY KEY (device_id, queue_id)
        ) WITHOUT ROWID;
        CREATE TABLE site_tickets (
            device_id TEXT NOT NULL,
            ticket_id TEXT NOT NULL,
            queue_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            status TEXT NOT NULL,
            service_day TEXT NOT NULL,
            created_at TEXT NOT NULL,
            called_at TEXT,
            completed_at TEXT,
            PRIMARY KEY (device_id, ticket_id)
        ) WITHOUT ROWID;
        CREATE INDEX idx_site_tickets_day ON site_tickets(device_id, service_day, status);
        """
    )


@hub_migration
def h002_services(conn: sqlite3.Connection) -> None:
    """Issue 15 (docs/services.md, section 8): services, counters by id, priority and transfers.

    The events keep the box's monotonic reading and boot id (the figures measure waits on them
    within one boot, as the box does); a day's events are read by `service_day`; counters are
    named by id; a ticket keeps its priority, its transfer count and the service that numbered it,
    and a line's "now serving" the prefix of the service that numbered the called ticket (P001
    stays P001 when Payments calls it).
    """
    _run(
        conn,
        """
        ALTER TABLE site_events ADD COLUMN mono REAL;
        ALTER TABLE site_events ADD COLUMN boot_id TEXT;
        CREATE INDEX idx_site_events_day ON site_events(device_id, service_day, seq);
        CREATE TABLE site_counters (
            device_id TEXT NOT NULL,
            counter_id TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (device_id, counter_id)
        ) WITHOUT ROWID;
        ALTER TABLE site_tickets ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE site_tickets ADD COLUMN transfers INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE site_tickets ADD COLUMN issued_queue_id TEXT;
        UPDATE site_tickets SET issued_queue_id = queue_id;
        ALTER TABLE site_queues ADD COLUMN now_serving_prefix TEXT;
        """
    )


def migrate(db: Database, migrations: list | None = None) -> list[str]:
    """Apply pending migrations (the box's, or the given list: the hub's), each in its own
    transaction; return their names."""
    with db.write() as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
    applied = []
    for name, fn in MIGRATIONS if migrations is None else migrations:
        with db.write() as conn:
            if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                continue
            fn(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (name, iso(db.clock.now())),
            )
            applied.append(name)
    return applied
