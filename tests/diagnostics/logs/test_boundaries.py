"""The log engine stays a plain library: no web framework, no database stack."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "alembic")


def test_importing_the_engine_loads_neither_web_nor_database_packages() -> None:
    probe = (
        "import sys, sfagent.diagnostics, sfagent.diagnostics.logs; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
