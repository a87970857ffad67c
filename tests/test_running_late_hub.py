"""Issue 16: a `running_late` event reaches the hub like every other event (a real box pushing to
a real hub, tests/test_hub_services.py's fixtures): once, in order, with its data, and the day's
figures on the hub equal the box's."""

from __future__ import annotations

import json

import pytest

from test_hub_services import box, figures_on_both, hub, hub_log, replay, wait_synced  # noqa: F401 (fixtures)

from helpers import admin

pytestmark = [pytest.mark.server, pytest.mark.slow]


def test_a_move_back_reaches_the_hub_once(box, hub):  # noqa: F811
    session, reception = box.session, box.services["Reception"]
    made = [session.post(f"{box.url}/api/queues/{reception['id']}/tickets", timeout=5,
                         json={"device_token": f"device-token-hub-late-{n:04d}"}).json() for n in range(4)]
    moved = session.post(f"{box.url}/api/tickets/{made[0]['id']}/late", json={"use": 1}, timeout=5)
    assert moved.status_code == 200 and moved.json()["people_ahead"] == 3, moved.text
    order = []
    for _ in range(4):
        called = session.post(f"{box.url}/api/queues/{reception['id']}/call-next", json={"counter": "1"},
                              headers=reception["headers"], timeout=5)
        assert called.status_code == 200, called.text
        order.append(called.json()["position_number"])
        session.post(f"{box.url}/api/tickets/{called.json()['id']}/complete", headers=reception["headers"],
                     timeout=5)
    assert order == [2, 3, 4, 1]
    wait_synced(box)
    log = replay(box, hub)  # every event once, in order, on the hub
    late = [e for e in log if e["type"] == "running_late"]
    assert len(late) == 1 and late[0]["data"]["places"] == 3 and late[0]["data"]["uses"] == 1
    # no ticket id (a guest's capability) in what reached the hub: the data names places, not tickets
    text = json.dumps(hub_log(hub.url, "box-1"))
    assert not [t["id"] for t in made if t["id"] in text]
    day = session.get(f"{box.url}/api/stats", headers=admin(), timeout=5).json()["day"]
    on_box, on_hub, box_csv, hub_csv = figures_on_both(box, hub, day)
    assert on_hub == on_box and hub_csv == box_csv
