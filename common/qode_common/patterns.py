"""The contract's credential and id patterns, and the settings-value helpers, in one place.

The server (`qode`) and the kiosk (`qode_kiosk`) both import this module, so a token the
server hands out is a token the kiosk accepts in its settings, and a pattern is written
once. Each pattern is anchored (`^…$`): Pydantic takes it as is (`StringConstraints`), and
Python code checks it with the `is_…` helpers below, which use `re.fullmatch` (so a trailing
newline never slips through `$`).

The two token lengths are two contracts, not a typo:

- `TOKEN`: every bearer credential the box issues or accepts: the admin token, host
  tokens, device (kiosk and display) tokens, and a box's sync key at the hub: 16-256.
- `GUEST_DEVICE_TOKEN`: the `device_token` a guest's phone makes up and sends when it joins
  (`POST /api/queues/{id}/tickets`), which ties the phone to its one active ticket: 16-128.
  The join page's own check (frontend, `deviceToken.js`) uses the same 16-128.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ---- credentials and ids --------------------------------------------------------------------

TOKEN = r"^[A-Za-z0-9_-]{16,256}$"
"""A bearer token: admin, host, device token, sync key."""

GUEST_DEVICE_TOKEN = r"^[A-Za-z0-9_-]{16,128}$"
"""A guest phone's `device_token` on a join."""

DEVICE_ID = r"^[A-Za-z0-9_-]{1,64}$"
"""A box's id at the hub (QODE_DEVICE_ID; the hub's sites)."""

UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
"""Queue and ticket ids (UUIDs, either case)."""

TOKEN_RE = re.compile(TOKEN)
DEVICE_ID_RE = re.compile(DEVICE_ID)
UUID_RE = re.compile(UUID)


def is_token(value: object) -> bool:
    """A well-formed bearer token (says nothing about whether it is valid anywhere)."""
    return isinstance(value, str) and TOKEN_RE.fullmatch(value) is not None


def is_device_id(value: object) -> bool:
    return isinstance(value, str) and DEVICE_ID_RE.fullmatch(value) is not None


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and UUID_RE.fullmatch(value) is not None


def printable(value: object, limit: int | None = None) -> str:
    """Text from elsewhere (a box's event, a hub's error, a host's name in a CSV) kept to its
    printable characters: no line break to forge a log line or a CSV row, no control, and no
    lone surrogate, which UTF-8 cannot write (JSON may carry one). At most `limit` of them."""
    text = "".join(ch for ch in str(value) if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)
    return text if limit is None else text[:limit]


# ---- settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One `QODE_*` (server) or `QODE_KIOSK_*` (kiosk) variable: its name, default and help text.
    Both lists are checked against the README's settings tables by tests/test_docs.py."""

    name: str
    default: str
    help: str


def is_off(value: str) -> bool:
    """The word that turns a protective limit or an optional device off: `off`, any case."""
    return value.strip().lower() == "off"
