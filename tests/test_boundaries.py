"""Layering rules that keep engines reusable and services free of the web framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "sfagent"
# Engines: plain libraries, importable from the CLI or a notebook without a web or DB stack.
ENGINE_PACKAGES = ["nlu", "diagnostics", "knowledge", "responder", "rules"]
ENGINE_MODULES = [
    "security/ratelimit.py",
    "security/lockout.py",
    "security/crypto.py",
    "security/pii.py",
    "security/pii_patterns.py",
    "security/pii_secrets.py",
    "security/pii_eval.py",
    "security/pii_address.py",
    "security/pii_health.py",
    "security/pii_hl7.py",
    "security/pii_fields.py",
    "security/pii_network.py",
    "security/abuse/__init__.py",
    "security/abuse/rule.py",
    "security/abuse/matching.py",
    "security/abuse/rules_sql.py",
    "security/abuse/rules_script.py",
    "security/abuse/rules_command.py",
    "security/abuse/rules_prompt.py",
    "security/abuse/scanner.py",
    "security/abuse/neutralise.py",
    "backplane/base.py",
    "backplane/memory.py",
]
WEB = {"fastapi", "starlette"}
DATABASE = {"sqlalchemy", "alembic", "asyncpg", "aiosqlite"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def engine_files() -> list[Path]:
    files = [SOURCE / module for module in ENGINE_MODULES]
    for package in ENGINE_PACKAGES:
        if (SOURCE / package).is_dir():
            files += sorted((SOURCE / package).rglob("*.py"))
    return files


@pytest.mark.parametrize("path", engine_files(), ids=lambda p: str(p.relative_to(SOURCE)))
def test_engines_import_neither_web_nor_database(path: Path) -> None:
    forbidden = imported_roots(path) & (WEB | DATABASE)
    assert not forbidden, f"{path.name} imports {sorted(forbidden)}"


LAYER_FILES = sorted(
    [*SOURCE.rglob("service.py"), *SOURCE.rglob("repository.py"), *SOURCE.rglob("tasks.py")]
)


@pytest.mark.parametrize("path", LAYER_FILES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_services_repositories_and_jobs_do_not_import_fastapi(path: Path) -> None:
    assert not imported_roots(path) & WEB, f"{path} imports the web framework"


def test_every_stage_is_listed_in_order() -> None:
    from sfagent.pipeline.stages import STAGES

    order = [
        "ingest",
        "guard",
        "understand",
        "recall",
        "diagnose",
        "retrieve",
        "decide",
        "respond",
        "record",
    ]
    names = [name for name, _ in STAGES]
    assert names == order
    assert names[0] == "ingest" and names[-1] == "record"
