"""Documentation rules (PMD category documentation)."""

from __future__ import annotations

from sfagent.diagnostics.apex.rules.base import Rule

RULES: tuple[type[Rule], ...] = ()
