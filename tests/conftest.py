from __future__ import annotations

import pytest

from qode import create_app

from helpers import ADMIN_TOKEN, NO_CAPS, ServerProcess, admin


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
