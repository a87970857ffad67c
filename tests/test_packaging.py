"""The box's runtime wheel carries the product alone; the benchmarks and the fake printer come
with the `bench` extra (the separate `qode-bench` distribution, bench/)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("qode", "qode_kiosk", "qode_common")
BENCH_MODULES = {"issue", "eta", "eta_services", "hub", "kiosk", "live", "pages", "fakeprinter", "voice",
                 "profile"}


def _wheel(src: Path, dest: Path, pattern: str) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--disable-pip-version-check",
                    "-w", str(dest), str(src)], check=True, capture_output=True, text=True, timeout=600)
    (made,) = dest.glob(pattern)
    return made


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> tuple[Path, Path]:
    """`pip wheel` of a clean copy of the tree (as install.sh builds it) and of bench/."""
    work = tmp_path_factory.mktemp("wheels")
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for folder in ("server", "kiosk", "common", "bench"):
        shutil.copytree(ROOT / folder, src / folder, ignore=skip)
    return _wheel(src, work / "dist", "qode-*.whl"), _wheel(src / "bench", work / "dist", "qode_bench-*.whl")


def _modules(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return {name[:-3].replace("/", ".").removesuffix(".__init__") for name in z.namelist()
                if name.endswith(".py")}


def _metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as z:
        (name,) = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        return z.read(name).decode()


@pytest.mark.slow  # two wheel builds
def test_the_runtime_wheel_has_the_product_and_no_benchmark_or_fake_printer(wheels):
    runtime, _ = wheels
    modules = _modules(runtime)
    assert {m.split(".")[0] for m in modules} == set(PRODUCT)
    assert {"qode", "qode.cli", "qode.live", "qode_kiosk.daemon", "qode_common"} <= modules
    tools = sorted(m for m in modules if "bench" in m or "fake" in m)
    assert tools == [], f"the runtime wheel carries tools: {tools}"
    with zipfile.ZipFile(runtime) as z:
        assert "qode/static/index.html" in z.namelist()  # the pages are in it


@pytest.mark.slow
def test_the_bench_extra_brings_the_benchmarks_and_the_fake_printer(wheels):
    runtime, bench = wheels
    requires = [line for line in _metadata(runtime).splitlines() if line.startswith("Requires-Dist:")]
    assert any(line.startswith("Requires-Dist: qode-bench") and 'extra == "bench"' in line for line in requires)
    assert not any("qode-bench" in line and "extra" not in line for line in requires)
    shipped = {m.removeprefix("qode_bench.") for m in _modules(bench) if m.startswith("qode_bench.")}
    assert shipped >= BENCH_MODULES
    assert "Requires-Dist: qode" in _metadata(bench)


def test_qode_bench_without_the_extra_says_how_to_get_it():
    # qode_bench blocked as if it were not installed: the command explains, and fails with 2.
    code = ("import sys; sys.modules['qode_bench'] = None; from qode.cli import main; "
            "sys.exit(main(['bench', 'eta']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "pip install -e ./bench" in done.stderr and "--find-links DIR 'qode[bench]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_each_benchmark_name_maps_to_a_module_of_qode_bench():
    from qode.cli import BENCHMARKS

    assert set(BENCHMARKS.values()) <= BENCH_MODULES
    for module in BENCHMARKS.values():
        assert (ROOT / "bench" / "qode_bench" / f"{module}.py").is_file()
