"""The README stays true: every setting documented, the two commands shown."""

from __future__ import annotations

import re
from pathlib import Path

from qode.config import SETTINGS

ROOT = Path(__file__).resolve().parents[1]


def settings_table(heading: str) -> dict[str, str]:
    """The README's table of settings under `heading` (up to the next heading): name -> default."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split(heading + "\n", 1)[1].split("\n#", 1)[0]
    return dict(re.findall(r"^\| `(QODE_[A-Z_]+)` \| `([^`]*)` \|", section, re.M))


def test_every_setting_is_in_the_readme_table():
    table = settings_table("## Settings")
    assert set(table) == {s.name for s in SETTINGS}
    for setting in SETTINGS:
        assert table[setting.name] == setting.default, setting.name


def test_every_kiosk_setting_is_in_the_readme_table():
    from qode_kiosk.config import SETTINGS as KIOSK_SETTINGS

    table = settings_table("### Kiosk settings")
    assert set(table) == {s.name for s in KIOSK_SETTINGS}
    for setting in KIOSK_SETTINGS:
        assert table[setting.name] == (setting.default or "(none)"), setting.name


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
