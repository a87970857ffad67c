"""The test helpers themselves: a started `qode serve` is the test's own, never a neighbour's."""

from __future__ import annotations

import pytest
import requests

import helpers
from helpers import ServerProcess, admin


def test_a_port_taken_meanwhile_is_swapped_never_answered_by_another_server(tmp_path, monkeypatch):
    """free_port()'s port can be bound by another server (another test in parallel, another
    checkout) before ours binds it. Then the other one answered /healthz and the test ran against
    it, with its settings: e.g. a 30 s ETA refresh where the test asked for 1 s. Ours moves on."""
    other = ServerProcess(tmp_path / "other", env={"QODE_ETA_REFRESH_SECONDS": "30"}).start()
    try:
        real = helpers.free_port
        picks = iter([other.port])  # the race, made certain: our first pick is the other's port
        monkeypatch.setattr(helpers, "free_port", lambda: next(picks, None) or real())
        ours = ServerProcess(tmp_path / "ours", env={"QODE_ETA_REFRESH_SECONDS": "1"})
        assert ours.port == other.port
        ours.start()
        try:
            assert ours.port != other.port and ours._listening_here()
            made = requests.post(f"{ours.url}/api/queues", json={"name": "Ours"}, headers=admin(), timeout=5)
            assert made.status_code == 201
            theirs = requests.get(f"{other.url}/api/queues", headers=admin(), timeout=5).json()
            assert "Ours" not in [q["name"] for q in theirs["queues"]]  # it went to our own server
        finally:
            ours.stop()
        # A port that must stay (a restart: clients know it) is not swapped: it is an error.
        fixed = ServerProcess(tmp_path / "fixed", port=other.port)
        with pytest.raises(RuntimeError, match=f"port {other.port} was taken"):
            fixed.start()
        fixed.stop()
    finally:
        other.stop()
