from __future__ import annotations

import fcntl
import types

import pytest

from qode import create_app

from helpers import ADMIN_TOKEN, NO_CAPS, ServerProcess, admin

# --- Honest marks, set from what a test does -----------------------------------------------------
#
# `make check` runs `-m "not server and not slow"`; a test that starts a real process or a browser
# must therefore say so. Rather than trusting hand-written marks, a test is marked from the names
# its code (and its fixtures' code, nested functions included) uses:
#   server  runs a real `qode` process: helpers' ServerProcess, KioskProcess or QODE;
#   slow    drives Chromium (playwright) or boots a container (systemd-nspawn).
SERVER_NAMES = {"ServerProcess", "KioskProcess", "QODE"}
SLOW_NAMES = {"sync_playwright", "Container", "bookworm_rootfs"}
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


def _used_names(item: pytest.Item) -> set[str]:
    functions = [getattr(item, "function", None)]
    fixtureinfo = getattr(item, "_fixtureinfo", None)
    if fixtureinfo is not None:
        functions += [fixturedef.func for defs in fixtureinfo.name2fixturedefs.values() for fixturedef in defs]
    names: set[str] = set()
    for function in functions:
        code = getattr(function, "__code__", None)
        if code is not None:
            names |= _names(code)
    return names


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects and before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        names = _used_names(item)
        if names & SERVER_NAMES:
            item.add_marker(pytest.mark.server)
        if names & SLOW_NAMES:
            item.add_marker(pytest.mark.slow)


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
    folder = item.config._tmp_path_factory.getbasetemp().parent / f"locks-{worker['testrunuid']}"
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
