"""The README's API tour, run as written (bash and curl) against a real `qode serve`: every
variable it uses is set by an earlier line, and every step answers as the tour says."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import ADMIN_TOKEN, ServerProcess

ROOT = Path(__file__).resolve().parents[1]


def tour() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A short tour of the API\n", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def test_the_tour_sets_every_variable_it_uses():
    script = tour()
    used = set(re.findall(r"\$([A-Z]+)\b", script))
    assigned = set(re.findall(r"^([A-Z]+)=", script, re.M))
    assert used <= assigned, used - assigned
    assert {"S", "ADMIN", "Q", "T", "HOST"} <= assigned


def answers(text: str) -> list[dict]:
    """The JSON answers curl printed, one after another (curl adds no newline)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while (at := text.find("{", at)) != -1:
        value, at = decoder.raw_decode(text, at)
        found.append(value)
    return found


def test_the_tour_runs_as_written(tmp_path):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed (Debian package curl)")
    proc = ServerProcess(tmp_path / "instance").start()
    try:
        script = tour()
        assert "S=http://127.0.0.1:8000" in script and "$(cat instance/admin_token)" in script
        (tmp_path / "instance" / "admin_token").write_text(ADMIN_TOKEN + "\n")  # as make run leaves it
        script = script.replace("S=http://127.0.0.1:8000", f"S={proc.url}")
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        status, called = answers(done.stdout)
        assert status["status"] == "WAITING" and status["display_number"] == "B001"
        assert (called["id"], called["status"], called["counter"]) == (status["id"], "CALLED", "2"), called
    finally:
        proc.stop()
    assert "Traceback" not in proc.log.read_text()
