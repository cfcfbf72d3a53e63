"""Governor-limit and performance rules (PMD category performance)."""

from __future__ import annotations

from sfagent.diagnostics.apex.rules.base import Rule

RULES: tuple[type[Rule], ...] = ()
