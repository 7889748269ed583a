"""The house rules, read from the code's own imports (every import, ``TYPE_CHECKING`` included).

- Only the composition root and the entry points (``runtime.py``, ``web/``, ``cli/``) import
  ``microcred.runtime``: a service is handed its collaborators, it never reaches for them.
- No import circle, except the Open Badges model's recursive types.
- The pure floors (crypto, ledger, model, verify) use no database, web framework or HTTP client,
  and no feature imports the entry points.
- A feature's SQL lives in its ``repository.py``: elsewhere in a feature folder SQLAlchemy gives
  only the session, its factory and the engine (the expiry rule, Python and SQL in one place,
  is the one exception).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "microcred"
ENTRY_POINTS = ("microcred.web", "microcred.cli")
PURE = ("microcred.crypto", "microcred.ledger", "microcred.model", "microcred.verify")
FEATURES = (
    "accounts",
    "achievements",
    "audit",
    "bulk",
    "careers",
    "engagement",
    "europass",
    "instance",
    "issuers",
    "issuing",
    "learners",
    "lms",
    "notifications",
    "obapi",
    "operations",
    "oid4vci",
    "pathways",
    "skills",
    "status",
    "transparency",
    "vcapi",
    "verification",
    "wallet",
    "webhooks",
)
FOREIGN_TO_PURE = ("sqlalchemy", "fastapi", "starlette", "httpx", "requests", "huey")
NOT_FEATURES = ("crypto", "ledger", "model", "verify", "store", "jobs", "web", "cli")
SESSION_ONLY = frozenset(
    {"sqlalchemy.Engine", "sqlalchemy.orm.Session", "sqlalchemy.orm.sessionmaker"}
)
SQL_BESIDE_REPOSITORIES = ("microcred.status.expiry",)  # the expiry rule, in Python and as SQL


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {
        module_name(p): p
        for p in PACKAGE.rglob("*.py")
        if "migrations" not in p.relative_to(PACKAGE).parts
    }


def imports(name: str, path: Path) -> Iterator[str]:
    """Every module ``name`` imports (``from a import b`` counts as ``a`` and ``a.b``)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            yield from (f"{target}.{alias.name}" for alias in node.names)


def graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {target for target in imports(name, path) if target in known and target != name}
        for name, path in known.items()
    }


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_only_the_entry_points_import_the_composition_root() -> None:
    offenders = sorted(
        name
        for name, targets in graph().items()
        if "microcred.runtime" in targets
        and name != "microcred.runtime"
        and not within(name, ENTRY_POINTS)
    )
    assert offenders == []


def strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (the graph has a few hundred nodes)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    found.append(component)
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_no_import_circle_but_the_models_recursive_types() -> None:
    edges = graph()
    # A package's __init__ re-exporting its modules is not a circle of the code.
    for name in edges:
        edges[name] = {t for t in edges[name] if not (name.startswith(t + ".") and t in edges)}
    circles = [sorted(c) for c in strongly_connected(edges) if len(c) > 1]
    assert [c for c in circles if not all(m.startswith("microcred.model.") for m in c)] == []


def test_the_circle_finder_finds_a_circle() -> None:
    assert strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [{"a", "b"}, {"c"}]


@pytest.mark.parametrize("floor", PURE)
def test_pure_floors_use_no_database_web_or_http(floor: str) -> None:
    known = modules()
    offenders = sorted(
        f"{name} -> {target}"
        for name, path in known.items()
        if within(name, (floor,))
        for target in imports(name, path)
        if within(target, FOREIGN_TO_PURE) or within(target, ("microcred.store", *ENTRY_POINTS))
    )
    assert offenders == []


def test_features_never_import_the_entry_points() -> None:
    feature_packages = tuple(f"microcred.{f}" for f in FEATURES)
    offenders = sorted(
        f"{name} -> {target}"
        for name, targets in graph().items()
        if within(name, feature_packages)
        for target in targets
        if within(target, ENTRY_POINTS)
    )
    assert offenders == []


def test_every_feature_folder_is_named_here() -> None:
    """A new capability gets its own folder; this list (and the design doc) names them all."""
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()} - {
        "crypto",
        "ledger",
        "model",
        "verify",
        "store",
        "jobs",
        "web",
        "cli",
        "contexts",
    }
    assert folders == set(FEATURES)


def feature_packages() -> list[str]:
    """Every feature folder on disk, those written after this test included."""
    return sorted(
        p.name
        for p in PACKAGE.iterdir()
        if (p / "__init__.py").exists() and p.name not in NOT_FEATURES
    )


def sqlalchemy_names(tree: ast.AST) -> Iterator[str]:
    """What a module takes from SQLAlchemy: ``from sqlalchemy.orm import Session`` is
    ``sqlalchemy.orm.Session``, ``import sqlalchemy`` the whole of it."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if within(alias.name, ("sqlalchemy",)))
        elif isinstance(node, ast.ImportFrom) and within(node.module or "", ("sqlalchemy",)):
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_features_leave_their_sql_to_their_repositories() -> None:
    """Services call repository methods on a session; they write no statement themselves (no
    select, no insert, no text, no dialect insert, no database exception caught)."""
    features = tuple(f"microcred.{name}" for name in feature_packages())
    offenders = sorted(
        f"{name} -> {taken}"
        for name, path in modules().items()
        if within(name, features)
        and not name.rsplit(".", 1)[-1].endswith("repository")  # wallet.notice_repository too
        and name not in SQL_BESIDE_REPOSITORIES
        for taken in sqlalchemy_names(ast.parse(path.read_text(), str(path)))
        if taken not in SESSION_ONLY
    )
    assert offenders == []


def test_the_sql_rule_sees_every_feature_and_every_kind_of_import() -> None:
    assert set(FEATURES) <= set(feature_packages())
    source = (
        "import sqlalchemy as sa\n"
        "from sqlalchemy import Engine, select\n"
        "from sqlalchemy.orm import Session\n"
        "from sqlalchemy.exc import IntegrityError\n"
        "from .repository import select_rows\n"
    )
    assert sorted(sqlalchemy_names(ast.parse(source))) == [
        "sqlalchemy",
        "sqlalchemy.Engine",
        "sqlalchemy.exc.IntegrityError",
        "sqlalchemy.orm.Session",
        "sqlalchemy.select",
    ]
