"""Issue 14 (perf): `qode bench pages` works: one throttled cold load of each page, on a real server.

Only the machinery is checked here (figures present, bytes counted per resource, the throttling in
effect); the budgets themselves are the bench's own verdict, not a test assertion.
"""

from __future__ import annotations

import pytest

from helpers import free_port


@pytest.mark.server
@pytest.mark.slow
def test_one_throttled_cold_load_of_each_page_gives_every_figure():
    from qode_bench import pages as bench

    report = bench.run(free_port(), loads=1)
    guest, floor, join = (report.pages[name][0] for name in ("guest", "baseline", "join"))

    names = [what for what, _ in guest.resources]
    assert names[0] == "/t/{id}"
    assert any(n.startswith("/assets/index-") and n.endswith(".js") for n in names)
    assert any(n.endswith(".css") for n in names) and "/api/tickets/{id}" in names
    assert all(size > 0 for _, size in guest.resources)
    assert guest.transferred == sum(size for _, size in guest.resources)
    assert 10_000 < guest.transferred < 1_000_000
    # The baseline is the HTML alone: every other request was refused.
    assert [what for what, _ in floor.resources] == ["/t/{id}"] and floor.transferred < guest.transferred
    assert any(n.startswith("/join/") for n, _ in join.resources)

    for load in (guest, floor, join):
        assert None not in (load.first_paint, load.first_contentful_paint, load.visible)
        assert load.first_contentful_paint >= load.first_paint > 0
        # Not a speed check: with 150 ms of emulated latency nothing can show sooner, so a smaller
        # figure would mean the throttling was not applied.
        assert load.visible >= bench.LATENCY_MS and load.first_paint >= bench.LATENCY_MS

    assert report.machine["cores"] and report.machine["chromium"]
    assert set(report.verdicts()) == {"transferred", "first_paint", "visible"}
    text = bench.render(report)
    for line in ("guest /t/{id}", "baseline: /t/{id} HTML alone", "join /join/{queue_id}",
                 "ratio guest/baseline", "transferred", "first paint", "number visible", "/api/tickets/{id}"):
        assert line in text
