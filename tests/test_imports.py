"""The import rules of docs/architecture.md ("Layers"), checked on the source with `ast`.

Every module of qode, qode_kiosk, qode_common and qode_bench belongs to one layer; a layer
imports only its own and the layers its row lists; no import cycle exists among the modules.
Imports inside functions count the same as those at the top: a deferred import is still a
dependency. The table below is the one the doc shows (a test parses the doc and compares),
so the two cannot drift apart.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {
    "qode": ROOT / "server" / "qode",
    "qode_kiosk": ROOT / "kiosk" / "qode_kiosk",
    "qode_common": ROOT / "common" / "qode_common",
    "qode_bench": ROOT / "bench" / "qode_bench",
}
ARCHITECTURE = ROOT / "docs" / "architecture.md"

# layer: (its modules, the other layers it may import). `pkg.*` is every module of a package.
LAYERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "common": (("qode_common.*",), ()),
    "storage": (("qode.clock", "qode.db", "qode.events", "qode.migrations", "qode.backup"), ("common",)),
    "estimator": (("qode.eta", "qode.estimates", "qode.rules"), ("storage", "common")),
    "rules": (("qode.errors", "qode.schemas", "qode.auth", "qode.tls", "qode.proxy", "qode.queues",
               "qode.tickets", "qode.printing", "qode.venue", "qode.stats", "qode.voice",
               "qode.sms"),
              ("estimator", "storage", "common")),
    "transport": (("qode.api", "qode.openapi", "qode.idempotency", "qode.budgets", "qode.sockets", "qode.live",
                   "qode.pages", "qode.sync"), ("rules", "estimator", "storage", "common")),
    "jobs": (("qode.jobs",), ("transport", "rules", "estimator", "storage", "common")),
    "hub": (("qode.hub",), ("transport", "rules", "storage", "common")),
    "kiosk": (("qode_kiosk.*",), ("common",)),
    "app": (("qode", "qode.config", "qode.serving", "qode.watchdog", "qode.update", "qode.cli"),
            ("hub", "jobs", "transport", "rules", "estimator", "storage", "kiosk", "common")),
    "bench": (("qode_bench.*",), ("app", "hub", "jobs", "transport", "rules", "estimator", "storage", "kiosk",
                                  "common")),
}


# ---- the graph ------------------------------------------------------------------------------


def find_modules(packages: dict[str, Path] = PACKAGES) -> dict[str, Path]:
    """Every module of the packages, by dotted name (a package's `__init__` by the package's)."""
    found = {}
    for folder in packages.values():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder.parent).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _nearest(name: str, known) -> str | None:
    """The module `name` refers to: itself, or the package holding it (`qode.db.Database` -> `qode.db`)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(name: str, source: str, known, is_package: bool = False) -> dict[str, int]:
    """The modules among `known` that module `name` imports, anywhere in its code: {module: line}."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(source)):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from pkg import mod` imports the module pkg.mod; `from mod import thing`, mod.
            targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
                       for alias in node.names]
        for target in targets:
            resolved = _nearest(target, known)
            if resolved is not None and resolved != name:
                found.setdefault(resolved, node.lineno)
    return found


def import_graph(modules: dict[str, Path]) -> dict[str, dict[str, int]]:
    return {name: imports_of(name, path.read_text(), modules, path.name == "__init__.py")
            for name, path in modules.items()}


# ---- the checks -----------------------------------------------------------------------------


def layer_of(module: str, layers=LAYERS) -> str | None:
    for layer, (members, _) in layers.items():
        for member in members:
            if module == member or (member.endswith(".*") and (module == member[:-2]
                                                               or module.startswith(member[:-1]))):
                return layer
    return None


def forbidden(graph: dict[str, dict[str, int]], layers=LAYERS) -> list[str]:
    """Every import of a layer it may not use: "a (layer) -> b (layer), line n"."""
    found = []
    for module, targets in sorted(graph.items()):
        mine = layer_of(module, layers)
        for target, line in sorted(targets.items()):
            theirs = layer_of(target, layers)
            if mine is None or theirs is None:
                continue  # test_every_module_has_a_layer reports it
            if theirs != mine and theirs not in layers[mine][1]:
                found.append(f"{module} ({mine}) imports {target} ({theirs}), line {line}")
    return found


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The import cycles: each strongly connected set of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def doc_layers(text: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """The table of the doc's "Layers" section: | layer | modules | may import | ... |."""
    section = text.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    table = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| **") or len(cells) < 3:
            continue
        layer = cells[0].strip("*")
        modules = tuple(re.findall(r"`([A-Za-z0-9_.*]+)`", cells[1]))
        may = tuple(word.strip() for word in cells[2].split(",") if word.strip() not in ("", "—"))
        table[layer] = (modules, may)
    return table


# ---- the code follows the rules -------------------------------------------------------------

MODULES = find_modules()
GRAPH = import_graph(MODULES)


def test_every_module_has_a_layer():
    assert {"qode", "qode.tickets", "qode_kiosk.daemon", "qode_common.patterns"} <= set(MODULES)
    assert [m for m in MODULES if layer_of(m) is None] == []
    named = [m for members, _ in LAYERS.values() for m in members if not m.endswith(".*")]
    assert [m for m in named if m not in MODULES] == []  # the table names no module that is gone


def test_no_layer_imports_one_it_may_not():
    """Nothing imports upwards; the kiosk imports only qode_common; qode_common imports neither
    qode nor qode_kiosk; no product module imports qode_bench."""
    assert sum(len(targets) for targets in GRAPH.values()) > 100  # the parser does see the imports
    assert forbidden(GRAPH) == []


def test_no_import_cycle_remains():
    assert cycles(GRAPH) == []


def test_the_kiosk_and_common_stand_alone():
    for module, targets in GRAPH.items():
        if module.startswith(("qode_kiosk", "qode_common")):
            assert all(t.startswith(("qode_kiosk", "qode_common")) for t in targets), (module, targets)
        if not module.startswith("qode_bench"):
            assert not any(t.startswith("qode_bench") for t in targets), (module, targets)


def test_the_architecture_doc_shows_this_table():
    assert doc_layers(ARCHITECTURE.read_text()) == LAYERS


# ---- the checks can fail --------------------------------------------------------------------


def test_the_checks_find_a_cycle_and_a_forbidden_import_in_a_small_graph(tmp_path):
    """A fake tree: storage imports the app (upwards), the kiosk imports the server, and two
    rules import each other, one of them only inside a function."""
    for package, files in {
        "qode": {"__init__.py": "from .db import Database\n",
                 "db.py": "def later():\n    from qode import create_app\n",
                 "tickets.py": "from . import printing\n",
                 "printing.py": "def job():\n    from .tickets import load\n"},
        "qode_kiosk": {"__init__.py": "", "daemon.py": "from qode.config import Setting\n"},
        "qode_common": {"__init__.py": "", "patterns.py": "import re\n"},
    }.items():
        (tmp_path / package).mkdir()
        for name, text in files.items():
            (tmp_path / package / name).write_text(text)
    layers = {
        "common": (("qode_common.*",), ()),
        "storage": (("qode.db",), ("common",)),
        "rules": (("qode.tickets", "qode.printing"), ("storage", "common")),
        "kiosk": (("qode_kiosk.*",), ("common",)),
        "app": (("qode",), ("rules", "storage", "kiosk", "common")),
    }
    modules = find_modules({p: tmp_path / p for p in ("qode", "qode_kiosk", "qode_common")})
    graph = import_graph(modules)
    assert graph["qode.printing"] == {"qode.tickets": 2}  # the function-level import counts
    assert forbidden(graph, layers) == [
        "qode.db (storage) imports qode (app), line 2",
        "qode_kiosk.daemon (kiosk) imports qode (app), line 1",  # qode.config is not in this tree
    ]
    assert cycles(graph) == [["qode", "qode.db"], ["qode.printing", "qode.tickets"]]
    assert layer_of("qode_kiosk.daemon", layers) == "kiosk" and layer_of("qode.sync", layers) is None


@pytest.mark.parametrize("change", ["a module moved", "a rule widened"])
def test_the_doc_check_sees_a_table_that_drifted(change):
    text = ARCHITECTURE.read_text()
    if change == "a module moved":
        drifted = text.replace("`qode.tickets`, ", "", 1)
    else:
        drifted = re.sub(r"(\| \*\*kiosk\*\* \|[^|]*\|)[^|]*\|", r"\1 common, storage |", text, count=1)
    assert drifted != text
    assert doc_layers(drifted) != LAYERS
