"""The kiosk for real: a `qode serve`, a `qode kiosk --button stdin`, and a fake ESC/POS network
printer on 127.0.0.1 that answers DLE EOT and can run out of paper or drop the connection.

Each test presses by writing a line to the kiosk's standard input and reads the truth from
the server's API and from what the printer received.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from qode_bench.fakeprinter import FakePrinter

from helpers import KioskProcess, ServerProcess, admin, wait_until

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.fixture
def rig(tmp_path, request):
    """Server, queue, registered kiosk, fake printer and a running kiosk daemon.

    A print job lives its default 120 s here: under load a press's join alone can take seconds,
    and a job past its life is rightly never printed, which only the expiry test is about. A test
    asks for another life with `@pytest.mark.parametrize("rig", ["5"], indirect=True)`.
    """
    printer = FakePrinter().start()
    job_life = getattr(request, "param", "120")
    server = ServerProcess(tmp_path / "server", env={"QODE_PRINT_JOB_MAX_AGE": job_life}).start()
    queue = requests.post(f"{server.url}/api/queues", json={"name": "Town hall", "prefix": "T"},
                          headers=admin(), timeout=5).json()
    host = {"Authorization": f"Bearer {queue['host_token']}"}
    device = requests.post(f"{server.url}/api/queues/{queue['id']}/devices", json={"name": "Door"},
                           headers=host, timeout=5).json()
    kiosk = KioskProcess(tmp_path / "kiosk", server.url, device["token"],
                         f"network:127.0.0.1:{printer.port}").start()
    rig = {"server": server, "queue": queue, "host": host, "device": device, "printer": printer, "kiosk": kiosk}
    wait_until(lambda: kiosk_state(rig) == ("ready", True), timeout=15)  # reported, and its socket is up
    yield rig
    kiosk.stop()
    server.stop()
    printer.stop()
    log = server.log.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert "Traceback" not in kiosk.output(), kiosk.output()[-3000:]


def kiosk_state(rig) -> tuple[str | None, bool]:
    devices = requests.get(f"{rig['server'].url}/api/queues/{rig['queue']['id']}/devices",
                           headers=rig["host"], timeout=5).json()["devices"]
    door = next(d for d in devices if d["id"] == rig["device"]["id"])
    return door["printer"], door["connected"]


def day_tickets(rig) -> list[dict]:
    return requests.get(f"{rig['server'].url}/api/queues/{rig['queue']['id']}/tickets",
                        headers=rig["host"], timeout=5).json()["tickets"]


def print_status(rig, ticket_id: str) -> str | None:
    return next(t for t in day_tickets(rig) if t["id"] == ticket_id)["print_status"]


def ticket_id_of(printed, server) -> str:
    (url,) = printed.qr  # exactly one QR: the status URL
    assert url.startswith(f"{server.url}/t/")
    return url.rsplit("/", 1)[1]


def test_a_press_prints_a_ticket_that_exists(rig):
    server, printer = rig["server"], rig["printer"]
    rig["kiosk"].press()
    assert printer.wait_for_tickets(1, timeout=10)
    printed = printer.tickets[0]
    ticket_id = ticket_id_of(printed, server)
    ticket = requests.get(f"{server.url}/api/tickets/{ticket_id}", timeout=5).json()
    assert ticket["display_number"] == "T001" and ticket["source"] == "kiosk"
    assert "T001" in printed.text and "Town hall" in printed.text
    wait_until(lambda: print_status(rig, ticket_id) == "printed")
    assert [t["id"] for t in day_tickets(rig)] == [ticket_id]


def test_out_of_paper_issues_nothing_and_the_host_sees_it(rig):
    printer = rig["printer"]
    printer.mode = "paper_out"
    rig["kiosk"].press()
    assert rig["kiosk"].wait_for_output("No ticket was issued")
    wait_until(lambda: kiosk_state(rig)[0] == "paper_out")
    assert day_tickets(rig) == [] and printer.tickets == []
    # Refilled: the next status check clears it, and a press prints again.
    printer.mode = "ok"
    wait_until(lambda: kiosk_state(rig)[0] == "ready")
    rig["kiosk"].press()
    assert printer.wait_for_tickets(1, timeout=10)
    assert len(day_tickets(rig)) == 1


def test_a_drop_mid_print_flags_the_ticket_and_reprint_prints_it(rig):
    server, printer = rig["server"], rig["printer"]
    printer.mode = "drop"
    rig["kiosk"].press()
    (ticket,) = wait_until(lambda: day_tickets(rig))
    wait_until(lambda: print_status(rig, ticket["id"]) == "failed")
    assert printer.tickets == [] and printer.dropped >= 1
    assert rig["kiosk"].wait_for_output("did not print")

    printer.mode = "ok"
    wait_until(lambda: kiosk_state(rig)[0] == "ready")
    reprint = requests.post(f"{server.url}/api/tickets/{ticket['id']}/reprint", json={},
                            headers={**rig["host"], "Idempotency-Key": "reprint-T001"}, timeout=5)
    assert reprint.status_code == 201, reprint.text
    assert printer.wait_for_tickets(1, timeout=10)  # over the kiosk's device channel
    assert ticket_id_of(printer.tickets[0], server) == ticket["id"]
    wait_until(lambda: print_status(rig, ticket["id"]) == "printed")
    assert len(day_tickets(rig)) == 1


@pytest.mark.parametrize("rig", ["5"], indirect=True)
def test_a_job_older_than_its_age_is_never_printed(rig, tmp_path):
    """The kiosk is away while the touch page issues; it comes back after the job's 5 s."""
    server, printer = rig["server"], rig["printer"]
    rig["kiosk"].stop()
    wait_until(lambda: kiosk_state(rig) == ("ready", False))
    touch = requests.post(f"{server.url}/api/queues/{rig['queue']['id']}/tickets", json={},
                          headers={"Authorization": f"Bearer {rig['device']['token']}"}, timeout=5).json()
    assert touch["print_job"]["expires_in_ms"] > 0
    wait_until(lambda: print_status(rig, touch["id"]) == "failed", timeout=20)  # expired: the host sees it
    back = KioskProcess(tmp_path / "kiosk-again", server.url, rig["device"]["token"],
                        f"network:127.0.0.1:{printer.port}").start()
    try:
        wait_until(lambda: kiosk_state(rig) == ("ready", True), timeout=15)
        # A fresh job while it is connected: it comes on the same socket after the snapshot that held
        # whatever the kiosk could still print, and the kiosk prints its jobs in the order they came.
        # So once the fresh one is out, the old one was handled before it: and not printed.
        fresh = requests.post(f"{server.url}/api/queues/{rig['queue']['id']}/tickets", json={},
                              headers={"Authorization": f"Bearer {rig['device']['token']}"}, timeout=5).json()
        assert printer.wait_for_tickets(1, timeout=10)
        wait_until(lambda: print_status(rig, fresh["id"]) == "printed")  # its ack is in too
        assert [ticket_id_of(t, server) for t in printer.tickets] == [fresh["id"]]
    finally:
        back.stop()


@pytest.mark.xdist_group("serial")  # restarts a server on its port: no other test may take it meanwhile
def test_a_server_restart_during_presses_makes_no_duplicates(rig):
    server, printer, kiosk = rig["server"], rig["printer"], rig["kiosk"]
    presses = 12

    def press_all():
        for _ in range(presses):
            kiosk.press()
            time.sleep(0.15)

    presser = threading.Thread(target=press_all)
    presser.start()
    try:
        wait_until(lambda: len(printer.tickets) >= 3, timeout=15)
        server.kill()  # like a power cut of the server alone, mid-stream
        # Up again once a press has met the server down (the kiosk says so, and retries it).
        assert kiosk.wait_for_output("One moment", timeout=30), kiosk.output()[-2000:]
        server.start()
    finally:
        presser.join(timeout=30)
    assert printer.wait_for_tickets(presses, timeout=60), (len(printer.tickets), kiosk.output()[-2000:])
    # A last job over the device channel (the touch page's): the kiosk prints its jobs in the order
    # they came, so any duplicate of an earlier one would be out before this one.
    last = requests.post(f"{server.url}/api/queues/{rig['queue']['id']}/tickets", json={},
                         headers={"Authorization": f"Bearer {rig['device']['token']}"}, timeout=5).json()
    assert printer.wait_for_tickets(presses + 1, timeout=30), kiosk.output()[-2000:]
    wait_until(lambda: print_status(rig, last["id"]) == "printed")
    printed = [ticket_id_of(t, server) for t in printer.tickets]
    assert printed[-1] == last["id"]
    printed = printed[:-1]
    tickets = [t for t in day_tickets(rig) if t["id"] != last["id"]]
    assert len(printed) == len(set(printed)) == presses  # every press one ticket, none printed twice
    assert sorted(printed) == sorted(t["id"] for t in tickets)  # and no ticket the guest did not get
    assert [t["position_number"] for t in tickets] == list(range(1, presses + 1))
