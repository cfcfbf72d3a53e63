"""Best-practice and unit-test rules (PMD category bestpractices)."""

from __future__ import annotations

from sfagent.diagnostics.apex.rules.base import Rule

RULES: tuple[type[Rule], ...] = ()
