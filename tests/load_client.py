"""A join-load client run as its own process by tests/test_real_server.py.

Threads each keep one keep-alive `requests.Session` to a `qode serve` on
127.0.0.1 and POST joins with distinct device tokens. Every answer is recorded:
201s with their ticket id and number, other statuses, and connection errors.
The results go to a JSON file written atomically when all threads are done.

    python load_client.py --url http://127.0.0.1:PORT --queue ID --out FILE \
        --tag p0 --threads 16 --per-thread 94 [--go FILE] [--deadline 60] \
        [--tolerate-errors]

`--go FILE`: write FILE.ready-<tag> once the sessions are set up, then wait
(bounded) for FILE to exist before the first request, so several client
processes start together. `--tolerate-errors`: keep going after connection
errors, and stop a thread after 3 in a row (the server was killed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--per-thread", type=int, required=True)
    parser.add_argument("--go")
    parser.add_argument("--deadline", type=float, default=60.0, help="seconds, whole run")
    parser.add_argument("--tolerate-errors", action="store_true")
    args = parser.parse_args(argv)

    if urlsplit(args.url).hostname != "127.0.0.1":
        print("load_client: only talks to 127.0.0.1", file=sys.stderr)
        return 2
    deadline = time.monotonic() + args.deadline
    endpoint = f"{args.url}/api/queues/{args.queue}/tickets"
    lock = threading.Lock()
    created: list[dict] = []  # every 201: id, number, device_token
    others: list[dict] = []  # any other status
    errors: list[str] = []  # connection errors / timeouts
    timed_out = threading.Event()

    def worker(index: int, session: requests.Session, go: threading.Event) -> None:
        go.wait(max(0.0, deadline - time.monotonic()))
        streak = 0
        for n in range(args.per_thread):
            if time.monotonic() >= deadline:
                timed_out.set()
                return
            token = f"{args.tag}_t{index:02d}_n{n:05d}_{os.getpid()}"  # [A-Za-z0-9_]{16,128}
            try:
                response = session.post(endpoint, json={"device_token": token}, timeout=15)
            except requests.RequestException as err:
                with lock:
                    errors.append(f"{type(err).__name__}: {err}"[:300])
                if not args.tolerate_errors:
                    return
                streak += 1
                if streak >= 3:
                    return
                time.sleep(0.05)
                continue
            streak = 0
            body = response.json() if response.headers.get("Content-Type", "").startswith(
                "application/json") else {"raw": response.text[:300]}
            with lock:
                if response.status_code == 201:
                    created.append({"id": body["id"], "number": body["position_number"],
                                    "device_token": token})
                else:
                    others.append({"status": response.status_code, "body": body,
                                   "device_token": token})
            if response.status_code != 201 and not args.tolerate_errors:
                return

    sessions = [requests.Session() for _ in range(args.threads)]
    go = threading.Event()
    threads = [
        threading.Thread(target=worker, args=(i, s, go), daemon=True)
        for i, s in enumerate(sessions)
    ]
    for thread in threads:
        thread.start()
    try:
        if args.go:
            Path(f"{args.go}.ready-{args.tag}").touch()
            while not os.path.exists(args.go) and time.monotonic() < deadline:
                time.sleep(0.01)
        started = time.monotonic()
        go.set()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()) + 1)
        elapsed = time.monotonic() - started
        alive = sum(t.is_alive() for t in threads)
    finally:
        go.set()
        for session in sessions:
            session.close()

    with lock:
        result = {
            "tag": args.tag,
            "pid": os.getpid(),
            "attempted_max": args.threads * args.per_thread,
            "created": list(created),
            "others": list(others),
            "errors": list(errors),
            "timed_out": timed_out.is_set() or alive > 0,
            "elapsed": elapsed,
        }
    tmp = f"{args.out}.tmp"
    with open(tmp, "w") as fh:
        json.dump(result, fh)
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
