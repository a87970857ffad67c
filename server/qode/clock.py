"""Time sources: UTC wall time for display, monotonic time and boot id for durations.

A Pi has no real-time clock, so durations are never taken from wall time.
Rules read time only through a `Clock`, which tests replace with a fake.

Until NTP answers, a Pi's wall clock may say 1970 (or whenever it last saved the
time). `trust()` says whether the wall clock can be believed. A host may send
the tablet's time (`set_from_host`): it is pinned to a monotonic reading of this
boot, so corrected wall time keeps running without root and without touching
the system clock, and it ends with the boot.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo


def _read_boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        # No procfs (not Linux): a per-process id keeps durations within one run.
        return f"proc-{uuid.uuid4()}"


EARLIEST_TRUSTED_YEAR = 2025  # a clock showing an earlier year has not been set
NTP_RECHECK_SECONDS = 300.0


def ntp_synchronised() -> bool | None:
    """What systemd says of NTP: True, False, or None where it cannot tell (no systemd)."""
    try:
        out = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
                             capture_output=True, text=True, timeout=2)
    except (OSError, subprocess.SubprocessError):
        return None
    value = out.stdout.strip()
    return {"yes": True, "no": False}.get(value) if out.returncode == 0 else None


class Clock:
    """The real clock, and the venue's time zone and day start."""

    boot_id = _read_boot_id()

    def __init__(self, tz: str = "UTC", day_starts_at: dtime = dtime(4, 0), ntp=ntp_synchronised):
        self.tz = tz
        self.day_starts_at = day_starts_at
        self.fix: tuple[str, float, datetime] | None = None  # (boot id, monotonic, wall) from a host
        self._ntp = ntp
        self._ntp_seen: tuple[float, bool | None] | None = None

    def service_day(self, moment: datetime | None = None) -> str:
        """The venue's service day now, or at `moment`."""
        return service_day(moment or self.now(), self.tz, self.day_starts_at)

    def system_now(self) -> datetime:
        """The system's wall clock, believable or not."""
        return datetime.now(UTC)

    def now(self) -> datetime:
        """Wall time for display and the service day: the host's time when one was given this boot."""
        fix = self.fix
        if fix is not None and fix[0] == self.boot_id:
            return fix[2] + timedelta(seconds=self.monotonic() - fix[1])
        return self.system_now()

    def monotonic(self) -> float:
        return time.monotonic()

    def set_from_host(self, wall: datetime) -> None:
        self.fix = (self.boot_id, self.monotonic(), wall.astimezone(UTC))

    def _ntp_state(self) -> bool | None:
        now = self.monotonic()
        if self._ntp_seen is None or now - self._ntp_seen[0] > NTP_RECHECK_SECONDS:
            self._ntp_seen = (now, self._ntp() if self._ntp is not None else None)
        return self._ntp_seen[1]

    def trust(self) -> dict:
        """Whether the wall clock can be believed, why not, and where the time comes from."""
        if self.fix is not None and self.fix[0] == self.boot_id:
            return {"trusted": True, "source": "host", "reason": None}
        year = self.system_now().year
        if year < EARLIEST_TRUSTED_YEAR:
            return {"trusted": False, "source": "system",
                    "reason": f"the box's clock says {year}; it has not been set (no time server reached)"}
        if self._ntp_state() is False:
            return {"trusted": False, "source": "system",
                    "reason": "the box's clock is not synchronised with a time server"}
        return {"trusted": True, "source": "system", "reason": None}


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and a Z, the one format stored."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def service_day(moment: datetime, tz: str, starts_at: dtime) -> str:
    """The service day (YYYY-MM-DD) that `moment` belongs to at the venue.

    A day runs from `starts_at` local time to the next day's `starts_at`, so a
    ticket taken at 01:30 with a 04:00 start belongs to the previous day.
    """
    local = moment.astimezone(ZoneInfo(tz))
    shifted = local - timedelta(hours=starts_at.hour, minutes=starts_at.minute)
    day: date = shifted.date()
    return day.isoformat()
