"""Run test files N times in a row while `yes` processes keep the CPUs busy; stop at the first failure.

    python tests/repeat_under_load.py --runs 20 --load 2 tests/test_live.py tests/test_live_server.py

A flake-hunter for the tests that run real processes and sockets (issue 13): a test that only
passes on an idle machine fails here. Each run is a fresh `pytest` process; the `yes` processes
are started first and stopped by their PIDs at the end, whatever happens. Prints one line per run
and a summary; exit status 0 only when every run passed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="test files (or node ids)")
    parser.add_argument("--runs", type=int, default=20, help="how many runs in a row (1-100)")
    parser.add_argument("--load", type=int, default=2, help="`yes` processes loading the CPUs (0-16)")
    parser.add_argument("--workers", default="0", help="pytest-xdist workers per run (0: none)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds one run may take")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 100 or not 0 <= args.load <= 16:
        parser.error("--runs must be 1-100 and --load 0-16")
    # Not the perf tests: they assert latency figures, which CPU load is there to break.
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-m", "not perf",
               *args.files]
    if args.workers != "0":
        command += ["-n", args.workers]
    # Stopped by SIGTERM too: the `yes` processes go, and subprocess.run kills the pytest run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    hogs = [subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) for _ in range(args.load)]
    times: list[float] = []
    try:
        for run in range(1, args.runs + 1):
            started = time.monotonic()
            try:
                done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=args.timeout,
                                      start_new_session=True)
                status, out = done.returncode, done.stdout + done.stderr
            except subprocess.TimeoutExpired as err:
                status, out = "timeout", f"{err.stdout or ''}{err.stderr or ''}"
            took = time.monotonic() - started
            times.append(took)
            summary = out.strip().splitlines()[-1] if out.strip() else ""
            print(f"run {run:3d}/{args.runs}: {'PASS' if status == 0 else 'FAIL'} in {took:6.1f} s  {summary}",
                  flush=True)
            if status != 0:
                print(out[-6000:], flush=True)
                print(f"FAILED on run {run} of {args.runs} (load: {args.load} x yes)")
                return 1
    finally:
        for hog in hogs:
            try:
                os.kill(hog.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            hog.wait(timeout=10)
    print(f"PASSED {args.runs} runs in a row with {args.load} x yes loading the CPUs: "
          f"{sum(times):.0f} s in all, {min(times):.1f}-{max(times):.1f} s per run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
