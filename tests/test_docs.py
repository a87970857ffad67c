"""The README stays true: every setting documented, the two commands shown."""

from __future__ import annotations

import re
from pathlib import Path

from qode.config import SETTINGS

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    table = dict(re.findall(r"^\| `(QODE_[A-Z_]+)` \| `([^`]*)` \|", readme, re.M))
    assert set(table) == {s.name for s in SETTINGS}
    for setting in SETTINGS:
        assert table[setting.name] == setting.default, setting.name


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
