from __future__ import annotations

import fcntl
import inspect
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from qode import create_app

from helpers import ADMIN_TOKEN, NO_CAPS, ServerProcess, admin

# --- Honest marks, set from what a test does -----------------------------------------------------
#
# `make check` runs `-m "not server and not slow and not perf"`; a test that starts a real process
# or a browser must therefore say so. Rather than trusting hand-written marks, a test is marked from
# the names its code uses: its own code, its fixtures' code (every fixture it requests, however
# indirectly), and the code of every function or class of the tests' own modules (or of qode_bench)
# that any of those names, followed transitively; nested functions included:
#   server  runs a real `qode` process: helpers' ServerProcess, KioskProcess or QODE, or a benchmark's
#           BenchServer;
#   slow    drives Chromium (playwright) or boots a container (systemd-nspawn).
# Should a process start anyway from an unmarked test (a name this misses), the guard below fails
# that test, naming the mark it needs; tests/test_marks.py checks both.
SERVER_NAMES = {"ServerProcess", "KioskProcess", "QODE", "BenchServer"}
SLOW_NAMES = {"sync_playwright", "Container", "bookworm_rootfs"}
TESTS = Path(__file__).resolve().parent
CONFTESTS = [sys.modules[__name__]]  # the one conftest.py (tests/)
# Serial: tests that cannot share the machine (fixed ports, mounts, containers, packet captures,
# memory or open-file counts, load and flood tests) carry `@pytest.mark.xdist_group("serial")`.
# Under pytest-xdist (`make test`) they run one after another in one worker (--dist loadgroup),
# and while one runs, no other test runs in any worker (the lock below).
SERIAL = "serial"


def _names(code: types.CodeType) -> set[str]:
    found = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found |= _names(const)
    return found


def _ours(obj) -> bool:
    """A function or class of the tests' own modules or of the benchmarks: followed into."""
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    if module is None:
        return False
    if module.__name__.split(".")[0] == "qode_bench":
        return True
    path = getattr(module, "__file__", None)
    return path is not None and Path(path).resolve().is_relative_to(TESTS)


def _code_names(function, seen: set[int]) -> set[str]:
    """The names `function` uses, and those of the functions and classes of ours it names."""
    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    if code is None or id(code) in seen:
        return set()
    seen.add(id(code))
    names = _names(code)
    scope = getattr(function, "__globals__", {})
    for name in list(names):
        obj = scope.get(name)
        if inspect.isfunction(obj) and _ours(obj):
            names |= _code_names(obj, seen)
        elif inspect.isclass(obj) and _ours(obj):
            for member in vars(obj).values():
                member = getattr(member, "__func__", member)  # staticmethod, classmethod
                if inspect.isfunction(member):
                    names |= _code_names(member, seen)
    return names


def _fixture_functions(item: pytest.Item) -> list:
    """The functions of the fixtures `item` uses, found by name (pytest's public `fixturenames`, the
    whole closure: the fixtures the fixtures request too) where pytest looks first: the test's class,
    its module, then the conftest files. pytest's own fixtures (tmp_path, ...) are not ours."""
    scopes = [getattr(item, "cls", None), getattr(item, "module", None), *CONFTESTS]
    found = []
    for name in getattr(item, "fixturenames", ()):
        for scope in scopes:
            definition = getattr(scope, name, None) if scope is not None else None
            if definition is not None and hasattr(definition, "__wrapped__"):
                found.append(inspect.unwrap(definition))
                break
    return found


def _used_names(item: pytest.Item) -> set[str]:
    functions = [getattr(item, "function", None), *_fixture_functions(item)]
    names: set[str] = set()
    seen: set[int] = set()
    for function in functions:
        if function is not None:
            names |= _code_names(function, seen)
    return names


def marks_for(item: pytest.Item) -> set[str]:
    """The marks `item`'s code earns: "server" and/or "slow"."""
    names = _used_names(item)
    return {mark for mark, wanted in (("server", SERVER_NAMES), ("slow", SLOW_NAMES)) if names & wanted}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects and before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        for mark in sorted(marks_for(item)):
            item.add_marker(getattr(pytest.mark, mark))


# Programs an unmarked test must never start (the quick loop runs only unmarked tests).
HEAVY_PROGRAMS = {"qode": "server", "gunicorn": "server", "chromium": "slow", "systemd-nspawn": "slow",
                  "debootstrap": "slow", "qemu-system-x86_64": "slow"}


def heavy_program(args) -> str | None:
    """The mark a command line needs ("server" or "slow"), or None for an ordinary one."""
    if isinstance(args, str):
        words = args.split()[:4]
    elif isinstance(args, (bytes, os.PathLike)):
        words = [os.fsdecode(args)]
    else:
        words = [os.fsdecode(word) for word in list(args)[:4]]
    for word in words:
        if "playwright" in word:
            return "slow"
        mark = HEAVY_PROGRAMS.get(os.path.basename(word))
        if mark is not None:
            return mark
    if len(words) >= 3 and words[1] == "-m" and words[2] in ("qode", "qode.cli"):
        return "server"
    return None


@pytest.fixture(autouse=True)
def _unmarked_tests_start_no_process(request, monkeypatch):
    """The guard: an unmarked test that starts `qode`, Chromium or a container fails at once."""
    if any(request.node.get_closest_marker(name) for name in ("server", "slow")):
        yield
        return

    class GuardedPopen(subprocess.Popen):
        def __new__(cls, *args, **kwargs):  # refused before a half-made Popen exists
            command = args[0] if args else kwargs.get("args")
            mark = heavy_program(command)
            if mark is not None:
                raise AssertionError(f"{request.node.nodeid} starts {command!r} but is not marked {mark!r}: "
                                     "tests/conftest.py's marks missed it; mark it by hand")
            return super().__new__(cls)

    monkeypatch.setattr(subprocess, "Popen", GuardedPopen)
    yield


def _is_serial(item: pytest.Item) -> bool:
    return any(mark.args[:1] == (SERIAL,) or mark.kwargs.get("name") == SERIAL
               for mark in item.iter_markers("xdist_group"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Under xdist, a readers-writer lock over the whole run: every test holds it shared, a serial
    test alone. A turnstile taken first keeps a waiting serial test from starving behind the others."""
    worker = getattr(item.config, "workerinput", None)
    if worker is None:  # not under xdist: one test at a time anyway
        yield
        return
    # The run's base folder (each worker's is a subfolder of it): shared by the workers, and
    # pytest's own clean-up of old base folders removes it.
    folder = Path(item.config.option.basetemp).parent / f"locks-{worker['testrunuid']}"
    folder.mkdir(exist_ok=True)
    with open(folder / "turnstile", "a") as turnstile, open(folder / "tests", "a") as tests:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(tests, fcntl.LOCK_EX if _is_serial(item) else fcntl.LOCK_SH)
        finally:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(tests, fcntl.LOCK_UN)


@pytest.fixture
def app(tmp_path):
    return create_app({
        "QODE_DATA_DIR": str(tmp_path / "data"),
        "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
        "QODE_TIMEZONE": "UTC",
        "QODE_JOIN_RATE_LIMIT": "off", **NO_CAPS,
        "QODE_AUTH_RATE_LIMIT": "off",
        "QODE_SCHEDULER": "off",
        "QODE_LATE_RATE_LIMIT": "off", "QODE_LATE_QUEUE_RATE_LIMIT": "off",  # issue 16: its own tests set them
    })


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    return app.extensions["qode_db"]


@pytest.fixture
def queue(client):
    """A fresh queue: its public state plus `host_token` and `headers` for the host."""
    response = client.post("/api/queues", json={"name": "Front desk", "prefix": "A"}, headers=admin())
    assert response.status_code == 201
    body = response.get_json()
    body["headers"] = {"Authorization": f"Bearer {body['host_token']}"}
    # ETAs in these tests are the estimator's own arithmetic; the default margin has its own test.
    no_margin = client.patch(f"/api/queues/{body['id']}", json={"eta_margin": 0}, headers=body["headers"])
    assert no_margin.status_code == 200
    return body


@pytest.fixture
def server(tmp_path):
    """A real `qode serve` on 127.0.0.1 with rate limits off."""
    proc = ServerProcess(tmp_path / "served").start()
    yield proc
    proc.stop()
    log = proc.log.read_text()
    assert "Traceback" not in log, log[-3000:]  # whatever the test sent, never a server traceback


def pytest_configure(config):
    # Playwright's `expect` waits 5 s by default: too short for a live update to reach a page on a
    # loaded test machine (2 cores shared by the workers, their servers and browsers).
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium (tests/a11y.py's path and flags), one per test module."""
    from playwright.sync_api import sync_playwright

    from a11y import ARGS, CHROMIUM

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()
