"""Design and size rules (PMD category design): complexity, statement counts and class shape."""

from __future__ import annotations

from sfagent.diagnostics.apex.rules import design_complexity, design_ncss, design_size
from sfagent.diagnostics.apex.rules.base import Rule

RULES: tuple[type[Rule], ...] = (
    *design_size.RULES,
    *design_ncss.RULES,
    *design_complexity.RULES,
)
