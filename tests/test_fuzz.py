"""Property-based fuzzing of the whole REST contract with Schemathesis, in-process over WSGI.

Every operation of /api/openapi.json (the document's own route included) gets 300
Hypothesis examples drawn from Schemathesis' positive and negative strategies. No answer may
be a 5xx, and every answer must use a documented status code and content type and match the
documented schema.

A fuzzer that only guesses UUIDs and bearer tokens sees nothing but 401 and 404, so each
generated case is rewritten from a second Hypothesis draw: most of the time its path ids
point at real queues and tickets (tickets picked by status, so lifecycle moves can succeed)
and its Authorization header carries a real credential (admin, host or kiosk) or none at
all; otherwise it keeps what Schemathesis generated. The database keeps everything the
examples did; after each call the main queue is topped up with waiting, called and serving
tickets so later examples still reach the deep paths.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from qode import create_app, queues, tickets
from qode.api import OPERATIONS
from qode.errors import QodeError

from helpers import ADMIN_TOKEN, admin

MISSING = "00000000-0000-4000-8000-000000000000"
# More for a longer hunt: QODE_FUZZ_EXAMPLES=3000 pytest tests/test_fuzz.py
EXAMPLES = int(os.environ.get("QODE_FUZZ_EXAMPLES", "300"))
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# Hypothesis favours the first entry of a list (and False over True) and repeats earlier
# choices, so what reaches deep code comes first: about four cases in five then use real ids
# and the rest keep what Schemathesis generated.
# Tickets in these states are what the lifecycle moves need; None means "any ticket".
TICKET_STATES = ["CALLED", "WAITING", None, "SERVING", "NO_SHOW"]  # NO_SHOW: issue 16's return
# What goes into Authorization: a real credential, the generated value, or no header.
AUTH_CHOICES = ["admin", "generated", "host", "kiosk", "none"]
# Kept in stock on the main queue after every call.
STOCK = {"WAITING": 3, "CALLED": 2, "SERVING": 1}
STOCK_COUNTERS = [f"fuzz-stock-{n}" for n in range(1, 5)]


class World:
    """Real queues, tickets and credentials that generated cases can point at."""

    def __init__(self, app):
        self.client = app.test_client()
        self.db = app.extensions["qode_db"]
        self.hub = app.extensions["qode_live"].hub
        self.host_tokens: dict[str, str] = {}
        self.main = self._create_queue("Fuzz main", "F")
        self.other = self._create_queue("Fuzz other", "")
        response = self.client.post(f"/api/queues/{self.main}/devices",
                                     json={"name": "Fuzz kiosk"}, headers=admin())
        assert response.status_code == 201
        self.kiosk_token = response.get_json()["token"]
        # A kiosk with a printer: its tickets come with print jobs for the job routes to use.
        response = self.client.post("/api/device/status", json={"printer": "ready"},
                                    headers={"Authorization": f"Bearer {self.kiosk_token}"})
        assert response.status_code == 200
        for _ in range(2):
            response = self.client.post(f"/api/queues/{self.other}/tickets", json={},
                                        headers=admin())
            assert response.status_code == 201
        # issue 14: brand. A logo on the box, so /venue/logo/{version} has something to serve.
        self.logo_png = _tiny_png()
        response = self.client.put("/api/venue/logo", data=self.logo_png, content_type="image/png",
                                   headers=admin())
        assert response.status_code == 200
        self.logo_version = response.get_json()["logo_url"].rsplit("/", 1)[-1]
        self.statuses: Counter[int] = Counter()  # of the fuzzed calls
        self.counter_id: str | None = None  # issue 15: model
        self.replenish()

    def _create_queue(self, name: str, prefix: str) -> str:
        response = self.client.post("/api/queues", json={"name": name, "prefix": prefix},
                                    headers=admin())
        assert response.status_code == 201
        body = response.get_json()
        self.host_tokens[body["id"]] = body["host_token"]
        return body["id"]

    def replenish(self) -> None:
        """Keep the main queue open with some waiting, called and serving tickets."""
        with self.db.read() as conn:
            queue = conn.execute("SELECT active, is_paused FROM queues WHERE id = ?",
                                 (self.main,)).fetchone()
            have = dict(conn.execute(
                "SELECT status, COUNT(*) FROM tickets WHERE queue_id = ? GROUP BY status",
                (self.main,),
            ).fetchall())
        if not queue["active"] or queue["is_paused"]:
            queues.update_queue(self.db, self.main, {"active": True, "is_paused": False})
        for _ in range(STOCK["WAITING"] + STOCK["CALLED"] + STOCK["SERVING"]
                       - have.get("WAITING", 0)):
            tickets.issue_ticket(self.db, self.main, None, "host")
        with self.db.read() as conn:
            busy = {row[0] for row in conn.execute(
                "SELECT counter FROM tickets WHERE queue_id = ? AND status IN ('CALLED','SERVING')",
                (self.main,))}
        # A counter holds one called or serving ticket (issue 14): the stock spreads over counters.
        free = [name for name in STOCK_COUNTERS if name not in busy]
        try:
            for name in free[:max(STOCK["CALLED"] + STOCK["SERVING"] - have.get("CALLED", 0), 0)]:
                tickets.call_next(self.db, self.main, name)
        except QodeError:
            pass  # the fuzzer closed the stock counter: called tickets come from its own calls
        if have.get("SERVING", 0) < STOCK["SERVING"]:
            called = self.pick_ticket("CALLED", 0)
            if called:
                tickets.move(self.db, called, "serve")
        # issue 16: grace. A no-show that may still come back, for the return route.
        if self.pick_ticket("NO_SHOW", 0) is None:
            called = self.pick_ticket("CALLED", 1)
            if called:
                tickets.move(self.db, called, "no-show")

    def pick_ticket(self, status: str | None, index: int) -> str | None:
        sql, params = "SELECT id FROM tickets", ()
        if status:
            sql, params = sql + " WHERE status = ?", (status,)
        if status == "NO_SHOW":
            sql += " AND returned_at IS NULL"  # issue 16: one that may still come back
        with self.db.read() as conn:
            ids = [row[0] for row in conn.execute(sql + " ORDER BY rowid DESC LIMIT 64", params)]
        return ids[index % len(ids)] if ids else None

    def pick_job(self, index: int) -> str | None:
        """A print job of the kiosk, made afresh now and then so some are still pending."""
        if index % 4 == 0:
            self.client.post(f"/api/queues/{self.main}/tickets", json={},
                             headers={"Authorization": f"Bearer {self.kiosk_token}"})
        with self.db.read() as conn:
            ids = [row[0] for row in conn.execute("SELECT id FROM print_jobs ORDER BY rowid DESC LIMIT 64")]
        return ids[index % len(ids)] if ids else None

    def spare_device(self) -> str:
        """A fresh display of the main queue, for the revoke route (the kiosk above must stay)."""
        response = self.client.post(f"/api/queues/{self.main}/devices",
                                    json={"name": "Fuzz display", "kind": "display"}, headers=admin())
        assert response.status_code == 201
        return response.get_json()["id"]

    def a_counter(self, index: int) -> str:
        """issue 15: model. A counter serving both queues (made once), or a fresh one now and then."""
        if self.counter_id is None or index % 8 == 0:
            name = f"fuzz-{len(self.statuses)}-{index}"
            response = self.client.post("/api/counters", json={"name": name, "services": [
                {"queue_id": self.main}, {"queue_id": self.other}]}, headers=admin())
            assert response.status_code in (201, 409), response.get_json()
            if response.status_code == 201:
                self.counter_id = response.get_json()["id"]
        return self.counter_id

    def spare_token(self) -> str:
        """issue 15: model. A fresh host token, for the revoke route."""
        response = self.client.post("/api/host-tokens", json={"name": "Fuzz tablet", "role": "staff",
                                                              "scope": "services", "services": [self.main]},
                                    headers=admin())
        assert response.status_code == 201
        return response.get_json()["id"]

    def rewrite(self, case, choice: dict):
        """Point a generated case at real ids and give it a real credential (or none)."""
        params = dict(case.path_parameters or {})
        # issue 15: model. Counters and host tokens by id; the services named in bodies are real ones.
        if "counter_id" in params and not choice["generated_id"]:
            params["counter_id"] = self.a_counter(choice["index"])
            if case.operation.path.endswith("/call-next") and choice["index"] % 4:  # mostly an open counter
                self.client.post(f"/api/counters/{params['counter_id']}/open", json={}, headers=admin())
        if "token_id" in params and not choice["generated_id"]:
            params["token_id"] = self.spare_token()
        services = case.body.get("services") if isinstance(case.body, dict) else None
        if isinstance(services, list) and not choice["generated_id"]:
            real = [self.main, self.other]
            case.body = {**case.body, "services": [
                {**item, "queue_id": real[n % 2]} if isinstance(item, dict) else real[n % 2]
                for n, item in enumerate(case.body["services"][:2])]}
        if "queue_id" in params and not choice["generated_id"]:
            params["queue_id"] = self.other if choice["other_queue"] else self.main
        if "seq" in params and not choice["generated_id"]:  # issue 16: voice, a current call of that queue
            calls = queues.get(self.db, params["queue_id"])["calls"]
            params["seq"] = str(calls[choice["index"] % len(calls)]["seq"]) if calls else params["seq"]
        if "ticket_id" in params and not choice["generated_id"]:
            params["ticket_id"] = (self.pick_ticket(choice["status"], choice["index"])
                                   or params["ticket_id"])
        if "device_id" in params and not choice["generated_id"]:
            params["device_id"] = self.spare_device()
            if case.operation.path.endswith("/voice/test"):  # issue 16: a display on line hears the test
                self.hub.join(f"device:{params['queue_id']}:{params['device_id']}", lambda data: None,
                              send_now=lambda data: 0)
        transfer = case.operation.path.endswith("/transfer")
        if transfer and isinstance(case.body, dict) and not choice["generated_id"]:
            case.body = {**case.body, "queue_id": self.other}  # a real service to send the ticket to
        if "job_id" in params and not choice["generated_id"]:
            params["job_id"] = self.pick_job(choice["index"]) or params["job_id"]
        if "version" in params and not choice["generated_id"]:
            params["version"] = self.logo_version
        if case.operation.path == "/api/venue/logo" and case.method == "PUT" and not choice["generated_id"]:
            case.body, case.media_type = self.logo_png, "image/png"  # a real picture, the same bytes
        case.path_parameters = params
        ask = case.operation.path == "/api/tls/ask"
        if ask and isinstance(case.query, dict) and not choice["generated_id"]:
            case.query = {**case.query, "domain": "127.0.0.1"}  # one of the box's own names
        if case.operation.path == "/api/qr" and isinstance(case.body, dict) and not choice["generated_id"]:
            case.body = {**case.body, "url": f"http://localhost/join/{self.main}"}  # a link to this box
        if case.operation.definition.raw.get("security"):
            token = {
                "admin": ADMIN_TOKEN,
                "host": self.host_tokens.get(params.get("queue_id"),
                                             self.host_tokens[self.main]),
                "kiosk": self.kiosk_token,
            }.get(choice["auth"])
            if choice["auth"] != "generated":
                headers = {k: v for k, v in (case.headers or {}).items()
                           if k.lower() != "authorization"}
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                case.headers = headers
        return case

    def record(self, case, response) -> None:
        self.statuses[response.status_code] += 1
        # A rotated host token replaces the old one: keep the "host" choice meaningful.
        queue_id = (case.path_parameters or {}).get("queue_id")
        if (case.operation.path.endswith("/rotate-token") and response.status_code == 200
                and queue_id in self.host_tokens):
            self.host_tokens[queue_id] = response.json()["host_token"]
        self.replenish()


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (30, 60, 90)).save(out, "PNG")
    return out.getvalue()


CHOICES = st.fixed_dictionaries({
    "generated_id": st.booleans(),
    "other_queue": st.booleans(),
    "status": st.sampled_from(TICKET_STATES),
    "index": st.integers(0, 63),
    "auth": st.sampled_from(AUTH_CHOICES),
})


# One pytest item per route of the table, the document's own route included. The loop is
# driven here rather than by `schema.parametrize()`: its fixture-based form needs an app per
# test (tmp data dir) and breaks on pytest 9.2, which dropped `Node._nodeid`.
@pytest.mark.slow
@pytest.mark.parametrize("operation_id", [f"{op.method.lower()}{op.path}" for op in OPERATIONS])
def test_fuzz_operation(app, operation_id, tmp_path):
    world = World(app)  # conftest's app: tmp data dir, admin token, limits off
    # Schemathesis's WSGI calls carry no REMOTE_ADDR; a real server always knows its peer. Here it
    # is the box itself, so staff tokens over its plain http are allowed (test_tls.py covers that).
    inner = app.wsgi_app
    app.wsgi_app = lambda environ, start: inner({"REMOTE_ADDR": "127.0.0.1", **environ}, start)
    # A box with its CA set up, so /ca.crt has something to serve (its absence is test_tls.py's).
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    app.config["TLS_CA_FILE"] = str(ca)
    if operation_id.endswith("/phone"):
        # issue 16: sms. A modem "present" (its device: /dev/null), so a number can be taken; the
        # sender is never started, nothing is sent.
        from qode import sms

        app.extensions["qode_sms"] = sms.Sender(app.extensions["qode_db"],
                                                {**app.config, "SMS_DEVICE": os.devnull})
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operation = schema.find_operation_by_id(operation_id)
    modes = [GenerationMode.POSITIVE]
    if operation.body or list(operation.iter_parameters()):
        modes.append(GenerationMode.NEGATIVE)  # nothing to break otherwise
    cases = st.one_of([operation.as_strategy(generation_mode=mode) for mode in modes])

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        database=None,  # each run hunts afresh; a failure prints its reproducing example
    )
    @given(case=cases, choice=CHOICES)
    def fuzz(case, choice):
        world.rewrite(case, choice)
        response = case.call_and_validate(checks=CHECKS)
        world.record(case, response)

    fuzz()
    print(operation.label, dict(sorted(world.statuses.items())))  # shown with `pytest -s`
    assert world.statuses.total() >= EXAMPLES
    assert any(200 <= status < 300 for status in world.statuses), "never got past the checks"


# Schemathesis never sends JSON nested thousands deep; json.loads raises RecursionError on it.
NESTED = ["[" * 5000 + "]" * 5000, '{"a":' * 2000 + "1" + "}" * 2000]


@pytest.mark.parametrize("nested", NESTED, ids=["arrays", "objects"])
@pytest.mark.parametrize("op", [op for op in OPERATIONS if isinstance(op.body, type)],  # JSON bodies
                         ids=lambda op: f"{op.method.lower()}{op.path}")
def test_deeply_nested_json_is_invalid_json(client, queue, op, nested):
    ticket = client.post(f"/api/queues/{queue['id']}/tickets", json={}, headers=admin())
    headers = admin()
    if op.auth == "device":
        kiosk = client.post(f"/api/queues/{queue['id']}/devices", json={"name": "K"}, headers=admin())
        headers = {"Authorization": f"Bearer {kiosk.get_json()['token']}"}
    path = op.path.format(queue_id=queue["id"], ticket_id=ticket.get_json()["id"], job_id=MISSING,
                          counter_id=MISSING, token_id=MISSING, device_id=MISSING)  # issue 15: model
    response = client.open(path, method=op.method, data=nested,
                           content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("nested", NESTED, ids=["arrays", "objects"])
def test_deeply_nested_json_with_join_rate_limit_on(tmp_path, nested):
    """An anonymous join reads the body for its rate-limit key before the route parses it."""
    client = create_app({"QODE_DATA_DIR": str(tmp_path), "QODE_ADMIN_TOKEN": ADMIN_TOKEN,
                         "QODE_TIMEZONE": "UTC", "QODE_SCHEDULER": "off"}).test_client()
    queue_id = client.post("/api/queues", json={"name": "Limited"}, headers=admin()).get_json()["id"]
    response = client.post(f"/api/queues/{queue_id}/tickets", data=nested,
                           content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"
