"""Error-prone code rules (PMD category errorprone)."""

from __future__ import annotations

from sfagent.diagnostics.apex.rules.base import Rule

RULES: tuple[type[Rule], ...] = ()
