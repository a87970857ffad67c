"""Credentials: admin, host and kiosk tokens, stored only as SHA-256 hashes.

401 means no credential or one that matches nothing; 403 means a real
credential for something else (another queue's host token, a kiosk token on a
host endpoint).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import request

from qode_common import patterns

from . import tls
from .db import Database
from .errors import Forbidden, Unauthorized

TOKEN_RE = patterns.TOKEN_RE  # the one bearer-token pattern (qode_common.patterns)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class _All:
    """The scope of a box-wide credential: every service, present and future."""

    def __contains__(self, queue_id: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "ALL"


ALL = _All()
ROLES = ("staff", "manager")  # a host token's roles, weakest first (docs/services.md, section 6)


@dataclass(frozen=True)
class Principal:
    kind: str  # "admin", "host", "kiosk" or "display"
    queue_id: str | None  # a device's home service; a host token's service when it covers just one
    credential: str  # the token's hash: the key for idempotency records
    device_id: str | None = None  # for kiosks and displays
    # issue 15: model. What the credential covers: a frozenset of service ids, or ALL (admin, box scope).
    services: frozenset | _All = ALL
    role: str | None = None  # host tokens: "staff" or "manager"
    token_id: str | None = None  # host tokens: the host_tokens row

    @property
    def source(self) -> str:
        return "kiosk" if self.kind == "kiosk" else "host"

    def covers(self, queue_id: str) -> bool:
        return queue_id in self.services


def bearer_hash(required: bool = True) -> str | None:
    """The hash of the request's bearer token; None when absent and not required."""
    header = request.headers.get("Authorization")
    if header is None:
        if required:
            raise Unauthorized("This needs a token: send 'Authorization: Bearer <token>'.")
        return None
    tls.require_staff_channel()  # a staff token over plain http from the Wi-Fi: refused, never checked
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(char.isspace() for char in token):
        raise Unauthorized("The Authorization header must be 'Bearer <token>'.", "bad_credentials")
    if not patterns.is_token(token):
        # Well formed, but no token this box issues looks like that: the same answer as any
        # wrong token, not advice about the header's shape.
        raise Unauthorized("That token is not valid.", "bad_credentials")
    return hash_token(token)


def identify(db: Database, admin_hash: str, token_hash: str) -> Principal | None:
    if same_hash(token_hash, admin_hash):
        return Principal("admin", None, token_hash)
    with db.read() as conn:
        row = conn.execute("SELECT id, role, scope FROM host_tokens WHERE token_hash = ?"
                           " AND revoked_at IS NULL",
                           (token_hash,)).fetchone()
        if row:
            services: frozenset | _All = ALL
            if row["scope"] == "services":
                services = frozenset(r[0] for r in conn.execute(
                    "SELECT queue_id FROM host_token_services WHERE token_id = ?", (row["id"],)))
            only = next(iter(services)) if isinstance(services, frozenset) and len(services) == 1 else None
            return Principal("host", only, token_hash, services=services, role=row["role"], token_id=row["id"])
        row = conn.execute(
            "SELECT id, queue_id, kind FROM devices WHERE token_hash = ?", (token_hash,)
        ).fetchone()
        if row:
            services = frozenset(r[0] for r in conn.execute(
                "SELECT queue_id FROM device_services WHERE device_id = ?", (row["id"],))) | {row["queue_id"]}
            return Principal(row["kind"], row["queue_id"], token_hash, row["id"], services=services)
    return None


def require_admin(db: Database, admin_hash: str) -> Principal:
    principal = identify(db, admin_hash, bearer_hash())
    if principal is None:
        raise Unauthorized("That token is not valid.", "bad_credentials")
    if principal.kind != "admin":
        raise Forbidden("This needs the admin token.")
    return principal


def _role_ok(principal: Principal, role: str) -> bool:
    return principal.kind == "admin" or ROLES.index(principal.role or "staff") >= ROLES.index(role)


def _refuse_role(role: str) -> Forbidden:
    return Forbidden("This needs a manager's host token (a staff token may call, move and open counters, "
                     "not change settings, devices or tokens).", "manager_only") if role == "manager" else \
        Forbidden("This needs a host token.")


def require_host(db: Database, admin_hash: str, queue_id: str, role: str = "staff") -> Principal:
    """A host token whose scope covers `queue_id` with at least `role` ("staff" or "manager"), or the
    admin (docs/services.md, section 6). A service's own token is its manager."""
    principal = identify(db, admin_hash, bearer_hash())
    if principal is None:
        raise Unauthorized("That token is not valid.", "bad_credentials")
    if principal.kind == "admin":
        return principal
    if principal.kind == "host" and principal.covers(queue_id):
        if _role_ok(principal, role):
            return principal
        raise _refuse_role(role)
    raise Forbidden("That token is for something else, not this queue's host.")


def require_host_token(db: Database, admin_hash: str, role: str = "staff") -> Principal:
    """Any host token with at least `role`, or the admin: the caller checks the services it touches
    against `principal.services`."""
    principal = identify(db, admin_hash, bearer_hash())
    if principal is None:
        raise Unauthorized("That token is not valid.", "bad_credentials")
    if principal.kind == "admin" or (principal.kind == "host" and _role_ok(principal, role)):
        return principal
    if principal.kind == "host":
        raise _refuse_role(role)
    raise Forbidden("This needs a host or the admin token.")


def require_box_manager(db: Database, admin_hash: str) -> Principal:
    """The admin, or a manager token whose scope is the whole box (who may make host tokens)."""
    principal = identify(db, admin_hash, bearer_hash())
    if principal is None:
        raise Unauthorized("That token is not valid.", "bad_credentials")
    if principal.kind == "admin" or (principal.kind == "host" and principal.role == "manager"
                                     and principal.services is ALL):
        return principal
    raise Forbidden("This needs the admin token or a manager's token for the whole box.", "box_manager_only")


def optional_principal(db: Database, admin_hash: str) -> Principal | None:
    """Whoever the request's token names, or None without one; a token that names nothing: 401."""
    token_hash = bearer_hash(required=False)
    if token_hash is None:
        return None
    principal = identify(db, admin_hash, token_hash)
    if principal is None:
        raise Unauthorized("That token is not valid.", "bad_credentials")
    return principal


def require_device(db: Database, admin_hash: str, kinds: tuple[str, ...]) -> Principal:
    """A kiosk's or display's own token (one of `kinds`)."""
    principal = identify(db, admin_hash, bearer_hash())
    if principal is None:
        raise Unauthorized("That token is not valid.", "bad_credentials")
    if principal.kind in kinds:
        return principal
    raise Forbidden(f"This needs a {' or '.join(kinds)} token.")


def require_any_host(db: Database, admin_hash: str) -> Principal:
    """The host of any queue, or the admin (for what belongs to the whole box)."""
    principal = identify(db, admin_hash, bearer_hash())
    if principal is None:
        raise Unauthorized("That token is not valid.", "bad_credentials")
    if principal.kind in ("admin", "host"):
        return principal
    raise Forbidden("This needs a host or the admin token.")


def optional_issuer(db: Database, admin_hash: str, queue_id: str) -> Principal | None:
    """For ticket issuance: None for an anonymous guest, else a kiosk, host or admin of the queue."""
    token_hash = bearer_hash(required=False)
    if token_hash is None:
        return None
    principal = identify(db, admin_hash, token_hash)
    if principal is None:
        raise Unauthorized("That token is not valid.", "bad_credentials")
    if principal.kind == "display":
        raise Forbidden("A display token cannot issue tickets.")
    if principal.kind == "admin" or principal.covers(queue_id):
        return principal
    raise Forbidden("That token belongs to another queue.")


def ensure_admin_token(data_dir: Path, configured: str | None) -> tuple[str, bool]:
    """The configured admin token, else `<data-dir>/admin_token`, generated on first start.

    The file is written whole with mode 0600 before it appears. Returns (token, generated).
    """
    if configured:
        return configured, False
    path = Path(data_dir) / "admin_token"
    try:
        token = path.read_text().strip()
        if patterns.is_token(token):
            return token, False
        path.unlink()  # empty or damaged: make a new one rather than lock the admin out
    except FileNotFoundError:
        pass
    token = new_token()
    tmp = path.with_name(f".admin_token.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, token.encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process won the race: use its token
    except FileExistsError:
        token = path.read_text().strip()
    finally:
        tmp.unlink()
    return token, True
