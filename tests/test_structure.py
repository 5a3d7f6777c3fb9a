"""The structure of ../shared/DESIGN.md, checked on the source: every import of every module
(top-level and inside functions, read with ast) must follow the arrows below, and the packages'
import graph has no cycle. A change that adds a forbidden arrow fails here with its file and line."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "inventory", "labels", "eligibility", "distribution", "reporting", "app")
MODULES = PACKAGES + ("config", "run")

# What each package may import, besides itself and third-party libraries.
ALLOWED = {
    "core": set(),
    "labels": {"core"},                       # the pure renderer: data in, PDF or ZPL out; no model
    "inventory": {"core", "labels"},          # builds the renderer's LabelData
    "eligibility": {"core"},
    "distribution": {"core", "inventory", "eligibility"},
    "reporting": {"core", "inventory", "eligibility", "distribution"},
    "app": {"core", "inventory", "labels", "eligibility", "distribution", "reporting", "config"},
    "config": {"core"},
    "run": {"app", "config", "core"},
}
# Web-framework objects a domain must never reach for: the request and its globals belong to app/.
FLASK_EDGE = {"request", "g", "session", "current_app", "flash", "redirect", "url_for", "render_template"}


def sources() -> list[Path]:
    files = [ROOT / "config.py", ROOT / "run.py"]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def owner(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, absolute module, names imported from it) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module, tuple(alias.name for alias in node.names)))
    return found


def violations(files: list[Path]) -> list[str]:
    found = []
    for path in files:
        src = owner(path)
        where = path.relative_to(ROOT)
        for line, module, names in imports_of(path):
            top = module.split(".")[0]
            if top in MODULES and top != src and top not in ALLOWED[src]:
                found.append(f"{where}:{line} : {src} importe {module}")
            if src not in ("app", "run") and top == "flask" and FLASK_EDGE & set(names):
                found.append(f"{where}:{line} : {src} importe {', '.join(sorted(FLASK_EDGE & set(names)))} de flask")
    return found


def package_cycles(files: list[Path]) -> list[list[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for path in files:
        for _line, module, _names in imports_of(path):
            top = module.split(".")[0]
            if top in MODULES and top != owner(path):
                graph[owner(path)].add(top)
    cycles, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for name in MODULES:
        if name not in state:
            visit(name, [name])
    return cycles


def test_every_import_follows_the_ownership_arrows():
    assert violations(sources()) == []


def test_the_packages_import_graph_has_no_cycle():
    assert package_cycles(sources()) == []


def test_the_check_sees_every_package():
    seen = {owner(path) for path in sources()}
    assert seen == set(MODULES)
    assert len(sources()) > 150


@pytest.mark.parametrize("package, line, arrow", [
    ("eligibility", "from inventory.models import Device", "eligibility importe inventory.models"),
    ("eligibility", "from distribution.access import ANIMATEUR", "eligibility importe distribution.access"),
    ("inventory", "import eligibility.engine", "inventory importe eligibility.engine"),
    ("inventory", "from distribution import models", "inventory importe distribution"),
    ("core", "from inventory.vocabulary import Grade", "core importe inventory.vocabulary"),
    ("reporting", "from app.roles import ROLES", "reporting importe app.roles"),
    ("distribution", "from flask import request", "distribution importe request de flask"),
])
def test_a_forbidden_arrow_is_reported_with_its_place(tmp_path, monkeypatch, package, line, arrow):
    """The checker itself: a module written with a forbidden import is reported (inside a
    function too, where an import is easiest to slip in)."""
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    folder = tmp_path / package
    folder.mkdir()
    module = folder / "bad.py"
    module.write_text(f"def later():\n    {line}\n", encoding="utf-8")
    assert violations([module]) == [f"{package}/bad.py:2 : {arrow}"]


def test_config_importing_the_web_edge_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    module = tmp_path / "config.py"
    module.write_text("from app.roles import ROLES\n", encoding="utf-8")
    assert violations([module]) == ["config.py:1 : config importe app.roles"]


def test_a_cycle_between_packages_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    files = []
    for package, target in (("distribution", "reporting"), ("reporting", "distribution")):
        (tmp_path / package).mkdir()
        files.append(tmp_path / package / "m.py")
        files[-1].write_text(f"import {target}.m\n", encoding="utf-8")
    assert package_cycles(files) == [["distribution", "reporting", "distribution"]]


def representation_queries(path: Path) -> list[str]:
    """Ways a representation could reach the database: importing SQLAlchemy or ``db``, or
    taking a session."""
    found = []
    for line, module, _names in imports_of(path):
        if module.split(".")[0] == "sqlalchemy" or module == "app.extensions":
            found.append(f"{path.name}:{line} importe {module}")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.arg) and node.arg == "session":
            found.append(f"{path.name}:{node.lineno} prend une session")
    return found


@pytest.mark.parametrize("package", ["inventory", "eligibility", "distribution"])
def test_one_representations_module_per_domain_and_no_query_in_it(package):
    path = ROOT / package / "representations.py"
    assert path.exists()
    assert representation_queries(path) == []


def test_a_representation_that_queries_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    module = tmp_path / "representations.py"
    module.write_text("from sqlalchemy import select\n\ndef booking_json(booking, session):\n    return {}\n",
                      encoding="utf-8")
    assert representation_queries(module) == ["representations.py:1 importe sqlalchemy",
                                              "representations.py:3 prend une session"]


def test_the_certificate_edge_holds_no_query():
    """app/api/certificates.py only adds the configuration and serialises: the lookups of issued
    certificates are inventory services (inventory/services/certificates.py). SQLAlchemy may be
    imported for type hints only (under ``if TYPE_CHECKING:``)."""
    path = ROOT / "app" / "api" / "certificates.py"
    source = path.read_text(encoding="utf-8")
    runtime = [node for node in ast.parse(source).body if isinstance(node, (ast.Import, ast.ImportFrom))]
    modules = [node.module if isinstance(node, ast.ImportFrom) else alias.name
               for node in runtime for alias in (node.names if isinstance(node, ast.Import) else [None])]
    assert [m for m in modules if m and m.split(".")[0] == "sqlalchemy"] == []
    assert not any(call in source for call in ("select(", "session.get(", "session.execute(", ".scalar"))
