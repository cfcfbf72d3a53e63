"""Whether a condition holds for a turn's facts, and why, leaf by leaf.

A field that is absent (None) makes every operator false except `exists`; a fact of the
wrong type (text where a number is expected) compares as not equal, never as an error:
the facts come from the NLU, and a rule must not take a turn down with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sfagent.rules.conditions import (
    Condition,
    ConditionLeaf,
    compile_pattern,
    is_number,
)
from sfagent.rules.fields import lookup

# Compiled RE2 patterns by their source text; built once per rule set.
Patterns = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One condition's outcome in a dry run; `field` is None for a group."""

    path: str
    operator: str
    result: bool
    field: str | None = None
    expected: Any = None
    actual: Any = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: leaves carry the field, the expected and the actual value."""
        data: dict[str, Any] = {"path": self.path, "operator": self.operator}
        if self.field is None:
            return {**data, "kind": "group", "result": self.result}
        return {
            **data,
            "kind": "leaf",
            "field": self.field,
            "expected": json_safe(self.expected),
            "actual": json_safe(self.actual),
            "present": self.actual is not None,
            "result": self.result,
        }


def holds(condition: Condition, facts: Mapping[str, Any], patterns: Patterns) -> bool:
    """Whether `condition` is true for `facts`, stopping as soon as the answer is known."""
    if isinstance(condition, ConditionLeaf):
        return test_leaf(condition, lookup(facts, condition.field), patterns)
    if condition.operator == "NOT":
        return not holds(condition.rules[0], facts, patterns)
    results = (holds(child, facts, patterns) for child in condition.rules)
    return all(results) if condition.operator == "AND" else any(results)


def explain(
    condition: Condition, facts: Mapping[str, Any], patterns: Patterns, path: str = "conditions"
) -> tuple[bool, list[TraceStep]]:
    """Whether `condition` holds, with a step per condition (every leaf evaluated)."""
    if isinstance(condition, ConditionLeaf):
        actual = lookup(facts, condition.field)
        result = test_leaf(condition, actual, patterns)
        step = TraceStep(path, condition.operator, result, condition.field, condition.value, actual)
        return result, [step]
    results: list[bool] = []
    steps: list[TraceStep] = []
    for index, child in enumerate(condition.rules):
        child_result, child_steps = explain(child, facts, patterns, f"{path}.rules[{index}]")
        results.append(child_result)
        steps += child_steps
    result = _combine(condition.operator, results)
    return result, [TraceStep(path, condition.operator, result), *steps]


def _combine(operator: str, results: list[bool]) -> bool:
    if operator == "NOT":
        return not results[0]
    return all(results) if operator == "AND" else any(results)


def test_leaf(leaf: ConditionLeaf, actual: Any, patterns: Patterns) -> bool:
    """Whether one leaf holds for the field's value (None when the field is absent)."""
    if leaf.operator == "exists":
        return (actual is not None) is leaf.value
    if actual is None:
        return False
    if leaf.operator == "matches":
        pattern = patterns.get(leaf.value) or compile_pattern(leaf.value)
        return any(pattern.search(text) is not None for text in _texts(actual))
    return _OPERATIONS[leaf.operator](actual, leaf.value)


def _equal(actual: Any, expected: Any) -> bool:
    if is_number(actual) and is_number(expected):
        return bool(actual == expected)
    for kind in (str, bool):
        if isinstance(actual, kind) and isinstance(expected, kind):
            return bool(actual == expected)
    return False


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def operation(actual: Any, expected: Any) -> bool:
        return is_number(actual) and is_number(expected) and compare(actual, expected)

    return operation


def _one_of(actual: Any, expected: Any) -> bool:
    # A list fact (intents, tags, entities) is in the list when any of its items is.
    items = actual if isinstance(actual, list | tuple) else (actual,)
    return any(_equal(item, option) for item in items for option in expected)


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, str):
        return isinstance(expected, str) and expected.casefold() in actual.casefold()
    if isinstance(actual, list | tuple):
        return any(_equal(item, expected) for item in actual)
    return False


def _texts(actual: Any) -> list[str]:
    if isinstance(actual, str):
        return [actual]
    if isinstance(actual, list | tuple):
        return [item for item in actual if isinstance(item, str)]
    return []


_OPERATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": _equal,
    "!=": lambda actual, expected: not _equal(actual, expected),
    "<": _ordered(lambda actual, expected: actual < expected),
    "<=": _ordered(lambda actual, expected: actual <= expected),
    ">": _ordered(lambda actual, expected: actual > expected),
    ">=": _ordered(lambda actual, expected: actual >= expected),
    "in": _one_of,
    "not_in": lambda actual, expected: not _one_of(actual, expected),
    "contains": _contains,
}


def json_safe(value: Any) -> Any:
    """`value` as JSON can hold it: tuples as lists, odd floats and objects as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    return str(value)
