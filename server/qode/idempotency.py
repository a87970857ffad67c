"""Idempotency-Key: a retried write gets the first answer and never acts twice.

The key is looked up, the action run and its answer stored in one write
transaction, so even concurrent retries act exactly once. Answers are kept per
credential for 24 hours, whatever their status.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from .clock import iso
from .db import Database
from .errors import Invalid, QodeError, error_body

KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
KEEP = timedelta(hours=24)


def check_key(key: str) -> str:
    if not KEY_RE.match(key):
        raise Invalid(
            "Idempotency-Key must be 1-128 characters of letters, digits, '_', '-', '.' or ':'.",
            "bad_idempotency_key",
        )
    return key


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).hexdigest()


def run_once(
    db: Database,
    credential: str,
    key: str,
    print_: str,
    action: Callable[[], tuple[int, dict]],
) -> tuple[int, dict, bool]:
    """Run `action` once per (credential, key); return (status, body, replayed)."""
    now = db.clock.now()
    with db.write() as conn:
        # Expired answers go first; the index on created_at makes this cheap when none are due.
        conn.execute("DELETE FROM idempotency WHERE created_at <= ?", (iso(now - KEEP),))
        row = conn.execute(
            "SELECT fingerprint, status, body FROM idempotency WHERE credential = ? AND key = ?",
            (credential, key),
        ).fetchone()
        if row is not None:
            if row["fingerprint"] != print_:
                raise Invalid(
                    "This Idempotency-Key was already used for a different request.",
                    "idempotency_key_reused",
                )
            return row["status"], json.loads(row["body"]), True
        try:
            with db.write():  # a savepoint: a refused action leaves nothing behind
                status, body = action()
        except QodeError as err:
            status, body = err.status, error_body(err.code, err.message)
        conn.execute(
            "INSERT OR REPLACE INTO idempotency (credential, key, fingerprint, status, body, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (credential, key, print_, status, json.dumps(body), iso(now)),
        )
        return status, body, False

