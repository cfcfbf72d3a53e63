"""PMD's suppression mechanisms: `@SuppressWarnings('PMD...')` and `// NOPMD` comments."""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from sfagent.diagnostics.apex.source import ApexSource
from sfagent.diagnostics.findings import Finding

_ALL_RULES = "PMD"


@dataclass(frozen=True, slots=True)
class SuppressedRange:
    """Lines of one annotated declaration and the rules suppressed there (None: all rules)."""

    first_line: int
    last_line: int
    rules: frozenset[str] | None

    def covers(self, finding: Finding) -> bool:
        """True when the finding starts inside the declaration and its rule is suppressed."""
        inside = self.first_line <= finding.span.line <= self.last_line
        return inside and (self.rules is None or finding.rule in self.rules)


def suppressed_ranges(source: ApexSource) -> list[SuppressedRange]:
    """Every declaration annotated with a PMD `@SuppressWarnings`."""
    ranges: list[SuppressedRange] = []
    for annotation in source.nodes("annotation"):
        name = annotation.child_by_field_name("name")
        if name is None or source.text_of(name).lower() != "suppresswarnings":
            continue
        rules = _suppressed_rules(source, annotation)
        declaration = _annotated_declaration(annotation)
        if rules is None or declaration is None:
            continue
        ranges.append(
            SuppressedRange(
                first_line=declaration.start_point[0] + 1,
                last_line=declaration.end_point[0] + 1,
                rules=None if _ALL_RULES in rules else frozenset(rules),
            )
        )
    return ranges


def _suppressed_rules(source: ApexSource, annotation: Node) -> set[str] | None:
    """Rule names from `'PMD.A, PMD.B'`; {"PMD"} for all; None when no PMD name is given."""
    arguments = annotation.child_by_field_name("arguments")
    if arguments is None:
        return None
    names: set[str] = set()
    for literal in arguments.named_children:
        if literal.type != "string_literal":
            continue
        for item in source.text_of(literal).strip("'").split(","):
            item = item.strip()
            if item == _ALL_RULES:
                names.add(_ALL_RULES)
            elif item.startswith(_ALL_RULES + "."):
                names.add(item.removeprefix(_ALL_RULES + "."))
    return names or None


def _annotated_declaration(annotation: Node) -> Node | None:
    modifiers = annotation.parent
    if modifiers is None or modifiers.type != "modifiers":
        return None
    return modifiers.parent


def apply_suppressions(source: ApexSource, findings: list[Finding]) -> list[Finding]:
    """Drop findings on `// NOPMD` lines or inside declarations that suppress their rule."""
    ranges = suppressed_ranges(source)
    nopmd = source.nopmd_lines
    return [
        finding
        for finding in findings
        if finding.span.line not in nopmd and not any(r.covers(finding) for r in ranges)
    ]
