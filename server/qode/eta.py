"""Wait-time estimates.

For now the brief's formula, `(YourPosition - CurrentPosition) * AvgWaitTime`,
stands behind this interface as `baseline`; the counter-cycle estimator of
ETA.md replaces it without changing the callers.
"""

from __future__ import annotations


def baseline(position: int, current_position: int, avg_wait_time: int) -> int:
    """The brief's formula, never negative."""
    return max(position - current_position, 0) * avg_wait_time


def ticket_eta(queue: dict, position: int, status: str) -> int | None:
    """Seconds until this ticket is called; 0 once called, None once it has ended."""
    if status == "WAITING":
        return baseline(position, queue["current_position"], queue["avg_wait_time"])
    if status in ("CALLED", "SERVING"):
        return 0
    return None


def joiner_eta(queue: dict) -> int:
    """Seconds a guest who joins now would wait."""
    return baseline(queue["last_number_issued"] + 1, queue["current_position"], queue["avg_wait_time"])
