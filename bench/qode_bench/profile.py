"""`--profile pi` (issue 17): run the server side of a benchmark as on a Pi-class box.

What it models:

- **a slow SD card's fsync.** A shim of a few lines of C, compiled now with the system's C
  compiler, is preloaded (`LD_PRELOAD`) into the server and the baselines: after each real
  `fsync`/`fdatasync` it sleeps `fsync_ms` (5 or 20 ms: a good and a cheap card). Each commit
  with `synchronous=FULL` costs one such fsync, so one writer committing alone is capped at
  1 / fsync.
- **one core.** The server's processes (and the raw-SQLite baseline's) are put in a cgroup whose
  CPU quota is `cores` of one CPU (cgroup v1 `cpu.cfs_quota_us` or v2 `cpu.max`).

What it does not model: it is not a Pi. The cores are this machine's, faster than a Pi 4's
Cortex-A72 (set `cores` below 1 to slow them), memory and its bandwidth are this machine's, and
the fsync shim adds a fixed delay where a real card varies (and stalls). So its figures are
read as ratios against the same profile's baselines (raw SQLite and the bare endpoint, each
under the same shim and quota), printed side by side, never as a Pi's absolute numbers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SHIM_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

static long delay_us = -1;
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

static void slow_disk(void) {
    if (delay_us < 0) {
        const char *text = getenv("QODE_BENCH_FSYNC_US");
        delay_us = text ? atol(text) : 0;
    }
    if (delay_us > 0) {
        struct timespec left = {delay_us / 1000000, (delay_us % 1000000) * 1000};
        while (nanosleep(&left, &left) == -1 && errno == EINTR) {}
    }
}

int fsync(int fd) {
    if (!real_fsync) real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    int rc = real_fsync(fd);
    slow_disk();
    return rc;
}

int fdatasync(int fd) {
    if (!real_fdatasync) real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    int rc = real_fdatasync(fd);
    slow_disk();
    return rc;
}
"""

CGROUP_ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000


class ProfileError(RuntimeError):
    """The machine cannot give this profile (no C compiler, no writable cgroup)."""


@dataclass
class Profile:
    """How the server side runs: `name` "none" (as the machine is) or "pi"."""

    name: str = "none"
    fsync_ms: float = 0.0
    cores: float | None = None
    _dir: Path | None = field(default=None, repr=False)
    _shim: Path | None = field(default=None, repr=False)
    _groups: list[Path] = field(default_factory=list, repr=False)

    @property
    def active(self) -> bool:
        return self.name != "none"

    def describe(self) -> str:
        if not self.active:
            return "as this machine is"
        cores = f"{self.cores:g} core" + ("" if self.cores == 1 else "s")
        return (f"Pi profile: fsync +{self.fsync_ms:g} ms (LD_PRELOAD shim), "
                f"server CPU quota {cores} (cgroup)")

    def prepare(self) -> None:
        """Compile the shim and check that a cgroup can be made, before anything is measured."""
        if not self.active:
            return
        self._dir = Path(tempfile.mkdtemp(prefix="qode-profile-"))
        self._shim = compile_shim(self._dir)
        if self.cores is not None:
            probe = self._new_group("probe")
            self._remove(probe)

    def env(self) -> dict[str, str]:
        """What the server's (and the baselines') environment gains."""
        if not self.active:
            return {}
        preload = " ".join(p for p in (str(self._shim), os.environ.get("LD_PRELOAD", "")) if p)
        return {"LD_PRELOAD": preload, "QODE_BENCH_FSYNC_US": str(int(self.fsync_ms * 1000))}

    def confine(self, pids: list[int], label: str) -> None:
        """Put `pids` (and their threads) under one CPU quota of `cores`."""
        if not self.active or self.cores is None:
            return
        group = self._new_group(label)
        for pid in pids:
            try:
                (group / "cgroup.procs").write_text(str(pid))
            except ProcessLookupError:
                continue
            except OSError as err:
                raise ProfileError(f"cannot move process {pid} into {group}: {err}") from err

    def close(self) -> None:
        for group in list(self._groups):
            self._remove(group)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    # ---- cgroups --------------------------------------------------------------------------

    def _new_group(self, label: str) -> Path:
        name = f"qode-bench-{os.getpid()}-{label}-{len(self._groups)}"
        quota = int(PERIOD_US * (self.cores or 1))
        v1 = CGROUP_ROOT / "cpu"
        try:
            if (CGROUP_ROOT / "cgroup.controllers").exists():  # cgroup v2
                group = CGROUP_ROOT / name
                group.mkdir()
                (group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            elif v1.is_dir():
                group = v1 / name
                group.mkdir()
                (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (group / "cpu.cfs_quota_us").write_text(str(quota))
            else:
                raise ProfileError("no cgroup CPU controller under /sys/fs/cgroup")
        except OSError as err:
            raise ProfileError(f"the Pi profile needs a writable cgroup CPU controller (root): {err}") from err
        self._groups.append(group)
        return group

    def _remove(self, group: Path) -> None:
        try:
            group.rmdir()  # only once its processes are gone
        except OSError:
            return
        if group in self._groups:
            self._groups.remove(group)


def compile_shim(folder: Path) -> Path:
    """The fsync shim, compiled into `folder` with the system's C compiler; its path."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise ProfileError("the Pi profile compiles its fsync shim with a C compiler (cc, gcc): none here")
    source = Path(folder) / "slowfsync.c"
    source.write_text(SHIM_C)
    shim = Path(folder) / "slowfsync.so"
    made = subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(shim), str(source), "-ldl"],
                          capture_output=True, text=True, timeout=60)
    if made.returncode != 0:
        raise ProfileError(f"could not compile the fsync shim: {made.stderr.strip()[:300]}")
    return shim


def slow_fsync_env(folder: Path, fsync_ms: float) -> dict[str, str]:
    """The environment that makes a process's fsyncs `fsync_ms` slower (the tests' slow SD card)."""
    shim = compile_shim(folder)
    return {"LD_PRELOAD": str(shim), "QODE_BENCH_FSYNC_US": str(int(fsync_ms * 1000))}


def from_args(name: str, fsync_ms: float, cores: float) -> Profile:
    if name == "none":
        return Profile()
    if name != "pi":
        raise ProfileError(f"unknown profile {name!r}: none or pi")
    if not 0 <= fsync_ms <= 1000:
        raise ProfileError("--fsync-ms must be between 0 and 1000")
    if not 0.05 <= cores <= 64:
        raise ProfileError("--cores must be between 0.05 and 64")
    return Profile("pi", fsync_ms, cores)


def from_cli(args) -> Profile | None:
    """The profile `qode bench … --profile` asks for, prepared (its shim compiled, its cgroup
    checked); None once the reason is printed, when this machine cannot give it."""
    try:
        profile = from_args(getattr(args, "profile", "none"), getattr(args, "fsync_ms", 20.0),
                            getattr(args, "cores", 1.0))
        profile.prepare()
    except ProfileError as err:
        print(f"qode bench: {err}", file=sys.stderr)
        return None
    return profile
