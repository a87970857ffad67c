"""Time sources: UTC wall time for display, monotonic time and boot id for durations.

A Pi has no real-time clock, so durations are never taken from wall time.
Rules read time only through a `Clock`, which tests replace with a fake.
"""

from __future__ import annotations

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


class Clock:
    """The real clock, and the venue's time zone and day start."""

    boot_id = _read_boot_id()

    def __init__(self, tz: str = "UTC", day_starts_at: dtime = dtime(4, 0)):
        self.tz = tz
        self.day_starts_at = day_starts_at

    def service_day(self, moment: datetime | None = None) -> str:
        """The venue's service day now, or at `moment`."""
        return service_day(moment or self.now(), self.tz, self.day_starts_at)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


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
