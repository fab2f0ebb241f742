"""The layering the code promises, checked on the import statements themselves.

``platforms`` ← ``accounts`` ← ``policy`` ← ``planner`` (an arrow: "is imported by"); the
cores (platform adapters, the policy engine, character counting, domain errors) import no
Django or no DRF; domain code raises ``config.errors``, never DRF exceptions.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _modules(package: str) -> list[pathlib.Path]:
    base = ROOT / package
    if base.suffix == ".py":
        return [base]
    return [p for p in base.rglob("*.py") if "migrations" not in p.parts]


def _imports(path: pathlib.Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in _modules(package):
        for name in sorted(_imports(path)):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("platforms", ("django", "rest_framework", "config", "accounts", "policy", "planner")),
        ("policy/engine", ("django", "rest_framework", "accounts", "planner")),
        ("planner/counting.py", ("django", "rest_framework", "accounts", "policy")),
        ("config/errors.py", ("rest_framework",)),
        ("accounts", ("policy", "planner")),
        ("policy", ("planner",)),
    ],
)
def test_imports_run_one_way(package, forbidden):
    assert _offenders(package, forbidden) == []


def test_domain_code_raises_domain_errors_not_drf():
    """Services, selectors and the lifecycle are called by the web, the admin, commands and
    tasks: none of them may need DRF to say no."""
    interfaces = {"api.py", "serializers.py", "api_urls.py", "filters.py", "schema.py"}
    found = []
    for app in ("accounts", "policy", "planner"):
        for path in _modules(app):
            if path.name in interfaces or "api" in path.stem.split("_"):
                continue
            found += [
                f"{path.relative_to(ROOT)} imports {name}"
                for name in _imports(path)
                if name.startswith("rest_framework")
            ]
    assert found == []
