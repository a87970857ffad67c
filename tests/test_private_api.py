"""Our code touches only the public API of the libraries it uses, and declares every one of them.

1. No private attribute of a third-party library in server/, kiosk/, common/, bench/ or tests/:
   - known-bad patterns (the socket layer once swapped simple-websocket's `ws.sock`, called
     `ws.ws.send`, overrode `_handle_events` and read gevent's `_sock`);
   - and, by rule: `x._name` (also `getattr(x, "_name")`) where `x` is not `self`/`cls` nor a
     standard-library module and `_name` is defined nowhere in our own code; `from lib import
     _name`; and, in a class built on a third-party class, `self._name` that the library's class
     has (an inherited private) and a method `_name` that overrides one of its privates.
   Uses with no public alternative are listed in ALLOWED, each with its reason (and a test that
   every entry is still needed). The checker is proven on the old code: it must report each of
   the old patterns.
2. Every third-party module imported by server/, kiosk/ or common/ is a declared dependency in
   pyproject.toml (import names mapped to distributions by importlib.metadata).
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("server", "kiosk", "common", "bench", "tests")
PRODUCT = ("server", "kiosk", "common")
OWN_PACKAGES = {"qode", "qode_kiosk", "qode_common", "qode_bench", "helpers", "conftest", "load_client"}

KNOWN_BAD = [
    (re.compile(r"\._sock\b|[\"']_sock[\"']"), "gevent's private `_sock`"),
    (re.compile(r"\bws\.sock\s*="), "replacing simple-websocket's socket"),
    (re.compile(r"\bws\.sock\b(?!\s*=)"), "simple-websocket's undocumented `ws.sock`"),
    (re.compile(r"\b_handle_events\b"), "simple-websocket's private `_handle_events`"),
    (re.compile(r"\bws\.ws\b"), "simple-websocket's undocumented wsproto connection `ws.ws`"),
    (re.compile(r"^\s*(from|import)\s+(simple_websocket|flask_sock)\b", re.M),
     "simple-websocket/flask-sock (replaced by qode_common.websocket)"),
]

# Private attributes of third-party libraries still used, each with why there is no public way:
# none. The last ones (python-escpos's in the kiosk's printers, APScheduler's in the scheduler)
# went in issue 13. An entry here is a debt, and test_no_private_use_is_allowed reports it.
ALLOWED: dict[tuple[str, str], str] = {}


def python_files(folders=SCANNED) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py")
                  if "node_modules" not in p.parts and "static" not in p.parts)


def is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def own_private_names(files: list[Path]) -> set[str]:
    """Every `_name` our code defines: functions, classes, module names, and attributes it assigns
    on self/cls (an object of ours may be reached from outside its class, e.g. in a test)."""
    names: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                  and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                names.add(node.attr)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr" \
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                names.add(str(node.args[1].value))
    return {name for name in names if name.startswith("_") and not is_dunder(name)}


def is_third_party(module: str) -> bool:
    top = module.split(".")[0]
    return bool(top) and top not in OWN_PACKAGES and top not in sys.stdlib_module_names


def resolve(module: str, name: str):
    """The class `name` of third-party `module`, or None when it cannot be imported here."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except Exception:  # noqa: BLE001 - not installed, or fails to import outside its setting
        return None


def private_uses(source: str, filename: str, own: set[str], allowed=None) -> list[str]:
    """The third-party private attributes `source` uses, as "file:line: what" strings."""
    allowed = ALLOWED if allowed is None else allowed
    found = [f"{filename}:{source.count(chr(10), 0, match.start()) + 1}: {why}"
             for pattern, why in KNOWN_BAD for match in pattern.finditer(source)]
    tree = ast.parse(source, filename)
    stdlib_names: set[str] = set()  # names bound to standard-library modules (not third-party)
    third_party: dict[str, tuple[str, str | None]] = {}  # name -> (module, attribute) it was imported as
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                if is_third_party(alias.name):
                    third_party[bound] = (alias.name if alias.asname else bound, None)
                else:
                    stdlib_names.add(bound)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if is_third_party(node.module):
                    third_party[alias.asname or alias.name] = (node.module, alias.name)
                    if alias.name.startswith("_") or any(part.startswith("_") and not is_dunder(part)
                                                         for part in node.module.split(".")):
                        found.append(f"{filename}:{node.lineno}: from {node.module} import {alias.name}")
                elif node.module.split(".")[0] in sys.stdlib_module_names:
                    stdlib_names.add(alias.asname or alias.name)

    def foreign_bases(node: ast.ClassDef) -> list | None:
        """The third-party classes `node` is built on (None for a base that cannot be imported
        here), or [] when it has none."""
        bases = []
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in third_party:
                module, name = third_party[base.id]
                bases.append(resolve(module, name) if name else None)
            elif isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name) \
                    and base.value.id in third_party:
                module, name = third_party[base.value.id]
                bases.append(resolve(f"{module}.{name}" if name else module, base.attr))
        return bases

    def report(lineno: int, attr: str, what: str) -> None:
        if (filename, attr) not in allowed:
            found.append(f"{filename}:{lineno}: .{attr} ({what})")

    def judge(base: ast.expr, attr: str, lineno: int, bases: list) -> None:
        if not attr.startswith("_") or is_dunder(attr):
            return
        if isinstance(base, ast.Name) and base.id in stdlib_names:
            return
        own_self = (isinstance(base, ast.Name) and base.id in ("self", "cls")) or (
            isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "super")
        if not own_self:
            if attr not in own:
                report(lineno, attr, "a private attribute that our code does not define")
            return
        # `self` in a class built on a third-party class: the library's private attribute when the
        # base has it (or, for a base that cannot be imported here, when our code does not define it).
        if any(b is not None and hasattr(b, attr) for b in bases):
            report(lineno, attr, "a private attribute inherited from a third-party class")
        elif any(b is None for b in bases) and attr not in own:
            report(lineno, attr, "a private attribute that our code does not define")

    def visit(node: ast.AST, bases: list) -> None:
        if isinstance(node, ast.ClassDef):
            bases = foreign_bases(node)
            for item in node.body:  # overriding a library's private method hooks into its internals
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name.startswith("_") \
                        and not is_dunder(item.name) and any(b is not None and hasattr(b, item.name)
                                                             for b in bases):
                    report(item.lineno, item.name, "overrides a third-party class's private method")
        if isinstance(node, ast.Attribute):
            judge(node.value, node.attr, node.lineno, bases)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr", "delattr") and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            judge(node.args[0], node.args[1].value, node.lineno, bases)
        for child in ast.iter_child_nodes(node):
            visit(child, bases)

    visit(tree, [])
    return found


def test_no_private_attribute_of_a_third_party_library():
    files = python_files()
    own = own_private_names(files)
    this = Path(__file__).resolve()
    problems = [problem for path in files if path.resolve() != this
                for problem in private_uses(path.read_text(), str(path.relative_to(ROOT)), own)]
    assert not problems, "private attributes of third-party libraries:\n" + "\n".join(problems)


# The socket layer as it was (issue 13): each of these must be reported.
OLD_SOCKETS = '''
import socket, threading
from simple_websocket import Client, ConnectionClosed

class LockedSocket:
    def __init__(self, raw):
        self._raw = raw
        self._lock = threading.Lock()
        os_sock = getattr(raw, "_sock", None)  # gevent keeps the real, non-blocking socket here
        self._os = os_sock

def _send_text(ws, text):
    from wsproto.events import TextMessage
    ws.sock.send(ws.ws.send(TextMessage(data=text)))

def _serve(ws):
    wire = LockedSocket(ws.sock)
    ws.sock = wire

class DeviceClient(Client):
    def handshake(self):
        super().handshake()
        if not self._handle_events():
            self.connected = True
'''

def gunicorn_private() -> str:
    """A private method GeventWorker has in the installed gunicorn (the old-code example uses it)."""
    from gunicorn.workers.ggevent import GeventWorker

    return next(name for name in dir(GeventWorker) if name.startswith("_") and not is_dunder(name))


OLD_SERVING = '''
from gunicorn.workers.ggevent import GeventWorker

class Worker(GeventWorker):
    def _read_body(self, req, sock):
        if req._expected_100_continue:
            sock.send(b"HTTP/1.1 100 Continue\\r\\n\\r\\n")
            req._expected_100_continue = False

    def handle(self, req):
        return self.PRIVATE(req)
'''


def test_the_checker_reports_the_old_socket_layer():
    own = own_private_names(python_files())
    found = "\n".join(private_uses(OLD_SOCKETS, "old/sockets.py", own))
    assert "old/sockets.py:9: gevent's private `_sock`" in found
    assert "old/sockets.py:9: ._sock" in found  # by the rule too: getattr(raw, "_sock")
    assert "replacing simple-websocket's socket" in found
    assert "simple-websocket's undocumented wsproto connection" in found
    assert "simple-websocket's undocumented `ws.sock`" in found
    assert "simple-websocket's private `_handle_events`" in found
    assert "simple-websocket/flask-sock" in found
    assert "old/sockets.py:23: ._handle_events" in found  # by rule too: `self` in a subclass of Client
    found = "\n".join(private_uses(OLD_SERVING.replace("PRIVATE", gunicorn_private()), "old/serving.py", own))
    assert "old/serving.py:6: ._expected_100_continue" in found  # gunicorn's, on its request object
    assert f"old/serving.py:11: .{gunicorn_private()} (a private attribute inherited" in found
    assert "_read_body" not in found  # our own method on our own class is fine


def test_no_private_use_is_allowed():
    """Must-show 1 holds with no exception; an entry added later fails here until it goes (and,
    while it is there, it must still be used: no stale entry may hide a new use)."""
    own = own_private_names(python_files())
    for filename, attr in ALLOWED:
        found = private_uses((ROOT / filename).read_text(), filename, own, allowed={})
        assert any(f": .{attr} (" in problem for problem in found), f"stale entry {(filename, attr)}"
    assert ALLOWED == {}, f"private attributes of third-party libraries still used: {sorted(ALLOWED)}"


def test_the_checker_passes_our_own_privates_and_the_standard_library():
    source = '''
import sys
from qode import db as storage

class Cache:
    def __init__(self):
        self._entries = {}

def peek(cache, service):
    storage._helper_of_ours()
    return cache._entries, getattr(sys, "_base_executable", None), sys._getframe(0)

def _helper_of_ours():
    pass
'''
    own = own_private_names(python_files()) | {"_entries", "_helper_of_ours"}
    assert private_uses(source, "ours.py", own) == []


# ---- every third-party import is declared ------------------------------------------------

def declared_distributions(pyproject: Path = ROOT / "pyproject.toml", extras=("kiosk",)) -> set[str]:
    """The dependencies, and the kiosk extra's (GPIO: imported only on a kiosk that has a button)."""
    project = tomllib.loads(pyproject.read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    return {re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
            for requirement in requirements}


def imported_top_modules(folders=PRODUCT) -> dict[str, str]:
    """Each third-party top-level module imported by the product code -> where (file:line)."""
    found: dict[str, str] = {}
    for path in python_files(folders):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                if is_third_party(module):
                    found.setdefault(module.split(".")[0], f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


@pytest.mark.parametrize(("folders", "pyproject", "extras"), [
    (PRODUCT, ROOT / "pyproject.toml", ("kiosk",)),
    (("bench",), ROOT / "bench" / "pyproject.toml", ()),  # the qode-bench distribution, on its own
], ids=["qode", "qode-bench"])
def test_every_third_party_import_is_a_declared_dependency(folders, pyproject, extras):
    providers = importlib.metadata.packages_distributions()
    declared = declared_distributions(pyproject, extras)
    missing = []
    for module, where in sorted(imported_top_modules(folders).items()):
        distributions = {name.lower().replace("_", "-") for name in providers.get(module, [])}
        if not distributions:
            missing.append(f"{where}: {module} (not installed here, so no distribution is known)")
        elif not distributions & declared:
            missing.append(f"{where}: {module} (from {', '.join(sorted(distributions))}) is not in "
                           f"{pyproject.relative_to(ROOT)}'s dependencies")
    assert not missing, "imported but not declared:\n" + "\n".join(missing)


def test_the_import_check_sees_an_undeclared_import(tmp_path, monkeypatch):
    """The check is not vacuous: PIL (Pillow) and wsproto are imported by the product code."""
    modules = imported_top_modules()
    assert {"PIL", "wsproto", "flask", "gunicorn"} <= set(modules), modules
    declared = declared_distributions()
    assert {"pillow", "wsproto"} <= declared
    assert not {"simple-websocket", "flask-sock"} & declared  # replaced by qode_common.websocket
