"""The benchmarks' Pi profile (issue 17): its fsync shim really slows fsync, its CPU quota really
holds a process to its share of a core, and bad options are refused clearly."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from qode_bench.profile import Profile, ProfileError, compile_shim, from_args, slow_fsync_env

FSYNC_TIMER = """
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT)
took = []
for _ in range(5):
    os.write(fd, b"x")
    start = time.monotonic(); os.fsync(fd); took.append(time.monotonic() - start)
    start = time.monotonic(); os.fdatasync(fd); took.append(time.monotonic() - start)
print(min(took))
"""


def fastest_fsync(tmp_path, env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", FSYNC_TIMER, str(tmp_path / "f")], env={**env},
                         capture_output=True, text=True, timeout=60, check=True)
    return float(out.stdout)


def test_the_shim_adds_its_delay_to_every_fsync(tmp_path):
    try:
        env = slow_fsync_env(tmp_path, 20)
    except ProfileError as err:
        pytest.skip(f"no C compiler here: {err}")
    # Turn about, so that a disk busy for a moment slows each kind alike; each kind's fastest counts.
    runs: dict[str, list[float]] = {"plain": [], "shimmed": [], "zero": []}
    for _ in range(3):
        runs["plain"].append(fastest_fsync(tmp_path, {}))
        runs["shimmed"].append(fastest_fsync(tmp_path, env))
        runs["zero"].append(fastest_fsync(tmp_path, {**env, "QODE_BENCH_FSYNC_US": "0"}))
    plain, shimmed, zero = (min(runs[kind]) for kind in ("plain", "shimmed", "zero"))
    assert shimmed >= 0.019, runs  # every fsync and fdatasync waits its 20 ms
    # on top of the disk's own time, so a slow disk alone does not pass the check above (nearly all
    # of the 20 ms: the fastest fsync of a busy disk can differ by a few ms between the kinds)
    assert shimmed - plain >= 0.015, runs
    assert zero - plain < 0.010, runs  # 0: no delay


def test_bad_options_are_refused():
    assert not from_args("none", 20, 1).active
    bad = (("mars", 20, 1), ("pi", -1, 1), ("pi", 5000, 1), ("pi", 20, 0), ("pi", 20, 100))
    for name, fsync_ms, cores in bad:
        with pytest.raises(ProfileError):
            from_args(name, fsync_ms, cores)
    assert "fsync +5 ms" in from_args("pi", 5, 1).describe()


SPIN = ("import time\nend = time.monotonic() + 1.5\nwhile time.monotonic() < end: pass\n"
        "import os\nprint(os.times().user + os.times().system)")


def test_the_quota_holds_a_process_to_its_share_of_a_core(tmp_path):
    profile = Profile("pi", 0, 0.25)
    try:
        profile.prepare()
    except ProfileError as err:
        pytest.skip(f"no writable cgroup CPU controller here (not root?): {err}")
    try:
        spinner = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.readline()\n" + SPIN],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        profile.confine([spinner.pid], "spin")
        started = time.monotonic()
        out, _ = spinner.communicate("go\n", timeout=60)
        used = float(out)
        assert time.monotonic() - started >= 1.4
        assert used <= 1.5 * 0.25 * 1.6, f"{used:.2f} s of CPU in 1.5 s at a quarter of a core"
    finally:
        profile.close()
    assert profile._groups == []  # its cgroups are gone


def test_the_shim_is_compiled_from_its_source(tmp_path):
    try:
        shim = compile_shim(tmp_path)
    except ProfileError as err:
        pytest.skip(f"no C compiler here: {err}")
    assert shim.exists() and shim.stat().st_size > 0
    assert "nanosleep" in (tmp_path / "slowfsync.c").read_text()
