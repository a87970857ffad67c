"""The marks that keep `make check` quick are earned from what a test does, and cannot be missed:
tests/conftest.py marks a test from the names its code reaches, and fails an unmarked test that
starts `qode`, Chromium or a container all the same."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from conftest import heavy_program, marks_for

from helpers import ServerProcess


def item_for(function, fixtures: dict | None = None):
    """What marks_for reads of a pytest item: the test function, the names of the fixtures it uses
    (pytest's `fixturenames`) and the module that defines them."""
    fixtures = fixtures or {}
    module = types.SimpleNamespace(**{name: pytest.fixture(func) for name, func in fixtures.items()})
    return types.SimpleNamespace(function=function, fixturenames=list(fixtures), module=module, cls=None)


def start_a_box(tmp_path):  # a module-level helper: the test that calls it never names ServerProcess
    return ServerProcess(tmp_path)


def through_two_helpers(tmp_path):
    return start_a_box(tmp_path)


class Rig:
    def start(self, tmp_path):
        return through_two_helpers(tmp_path)


def launch():
    from playwright.sync_api import sync_playwright

    return sync_playwright


# The sample tests are named, not called, by the tests below: a test that names a function of ours
# is marked from that function's code (this file's own tests would be marked, and leave `make check`).
def sample_direct(tmp_path):
    ServerProcess(tmp_path)


def sample_via_helper(tmp_path):
    start_a_box(tmp_path)


def sample_via_a_class(tmp_path):
    Rig().start(tmp_path)


def sample_plain(tmp_path):
    assert tmp_path


def sample_browser():
    yield launch()


def sample_uses_the_browser(browser):
    assert browser


def sample(name: str):
    return globals()[f"sample_{name}"]


def test_a_test_is_marked_from_the_helpers_it_calls_however_deep():
    assert marks_for(item_for(sample("direct"))) == {"server"}
    assert marks_for(item_for(sample("via_helper"))) == {"server"}
    assert marks_for(item_for(sample("via_a_class"))) == {"server"}
    assert marks_for(item_for(sample("plain"))) == set()


def test_a_test_is_marked_from_its_fixtures_code():
    browser, box = sample("browser"), globals()["start_a_box"]
    assert marks_for(item_for(sample("uses_the_browser"), {"browser": browser})) == {"slow"}
    both = {"box": box, "browser": browser}
    assert marks_for(item_for(sample("uses_the_browser"), both)) == {"server", "slow"}


def test_this_files_own_tests_stay_in_the_quick_loop(request):
    """The samples above are not collected as tests, and naming them by string marks nothing."""
    for item in request.session.items:
        if item.path == request.path:
            assert not item.get_closest_marker("server") and not item.get_closest_marker("slow"), item.nodeid


def test_the_real_suite_is_marked():
    """The files that start servers and browsers: every one of their tests is out of `make check`."""
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-m", "not server and not slow", "tests/test_live_server.py",
                           "tests/test_kiosk_e2e.py", "tests/test_pages_e2e.py", "tests/test_sync_e2e.py",
                           "tests/test_eta_live.py"],
                          cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=120)
    assert done.returncode == 5, done.stdout[-3000:] + done.stderr[-3000:]  # 5: all deselected, none collected
    assert "::" not in done.stdout, done.stdout  # not one test of theirs is left unmarked


@pytest.mark.parametrize("args,mark", [
    (["/venv/bin/qode", "serve", "--port", "8000"], "server"),
    ("/venv/bin/qode kiosk --button stdin", "server"),
    ([sys.executable, "-m", "qode.cli", "serve"], "server"),
    (["sudo", "-n", "systemd-nspawn", "-D", "/tmp/root"], "slow"),
    (["/usr/bin/chromium", "--headless"], "slow"),
    (["/venv/lib/python3.11/site-packages/playwright/driver/node", "cli.js"], "slow"),
    ([sys.executable, "-c", "print(1)"], None),
    ([sys.executable, "-m", "qode_bench.fakeprinter"], None),
    ([sys.executable, "-m", "qode_bench.eta", "--days", "2"], None),  # a replay in one process
    (["/usr/bin/caddy", "adapt", "--config", "Caddyfile"], None),
    (["git", "status"], None),
])
def test_heavy_programs_are_recognised(args, mark):
    assert heavy_program(args) == mark


def test_an_unmarked_test_that_starts_qode_anyway_fails(tmp_path):
    """The guard behind the marks: a name the scan cannot see (built at run time) still fails."""
    program = str(Path(sys.executable).with_name("qo" + "de"))
    with pytest.raises(AssertionError, match="is not marked 'server'"):
        subprocess.run([program, "--version"], capture_output=True, timeout=30)
    ordinary = subprocess.run([sys.executable, "-c", "print('fine')"], capture_output=True, text=True,
                              timeout=30)
    assert ordinary.stdout == "fine\n"  # ordinary programs still run
