"""Conditions: groups (AND, OR, NOT) of leaves that test one field with one operator.

Values are checked against the field's type and the operator when the rule is parsed, so a
rule that could never be true (a number compared with text, a pattern RE2 cannot compile)
is refused when it is saved instead of quietly never firing.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, get_args

import re2  # type: ignore[import-untyped]
from pydantic import Discriminator, StrictStr, Tag, ValidationInfo, field_validator

from sfagent.rules.base import ClosedModel, RuleLimits, limits_of, located_error
from sfagent.rules.fields import FieldKind, describe_known_fields, field_kind

Operator = Literal[
    "==", "!=", "<", "<=", ">", ">=", "in", "not_in", "contains", "matches", "exists"
]
GroupOperator = Literal["AND", "OR", "NOT"]
OPERATORS: tuple[str, ...] = get_args(Operator)
GROUP_OPERATORS: tuple[str, ...] = get_args(GroupOperator)

OPERATORS_BY_KIND: dict[FieldKind, tuple[str, ...]] = {
    FieldKind.TEXT: ("==", "!=", "in", "not_in", "contains", "matches", "exists"),
    FieldKind.NUMBER: ("==", "!=", "<", "<=", ">", ">=", "in", "not_in", "exists"),
    FieldKind.INTEGER: ("==", "!=", "<", "<=", ">", ">=", "in", "not_in", "exists"),
    FieldKind.BOOLEAN: ("==", "!=", "exists"),
    FieldKind.TEXT_LIST: ("in", "not_in", "contains", "matches", "exists"),
    FieldKind.ENTITIES: ("exists",),
}


def is_number(value: Any) -> bool:
    """True for ints and floats; bool is an int to Python but never a number to a rule."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def compile_pattern(pattern: str) -> Any:
    """A case-insensitive RE2 pattern: linear time, so no pattern or text can stall a turn."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as error:
        reason = error.args[0] if error.args else error
        if isinstance(reason, bytes):
            reason = reason.decode(errors="replace")
        raise ValueError(f"not a valid RE2 regular expression: {reason}") from error


def _scalar(kind: FieldKind, value: Any, limits: RuleLimits) -> str | None:
    """Why `value` cannot be compared with a field of `kind`, or None when it can."""
    if kind in (FieldKind.TEXT, FieldKind.TEXT_LIST):
        if not isinstance(value, str):
            return "must be text"
        if len(value) > limits.max_text_length:
            return f"must be at most {limits.max_text_length} characters"
        return None
    if kind in (FieldKind.NUMBER, FieldKind.INTEGER):
        # math.isfinite would overflow on a huge int; any int is a finite number anyway.
        finite = is_number(value) and (isinstance(value, int) or math.isfinite(value))
        return None if finite else "must be a number"
    return None if isinstance(value, bool) else "must be true or false"


def check_value(kind: FieldKind, operator: str, value: Any, limits: RuleLimits) -> Any:
    """The value to store for `operator` on a field of `kind`; ValueError when it cannot apply."""
    if operator == "exists":
        if not isinstance(value, bool):
            raise ValueError("must be true or false for exists")
        return value
    if operator in ("in", "not_in"):
        return _check_list(kind, operator, value, limits)
    if operator in ("contains", "matches"):
        kind = FieldKind.TEXT
    problem = _scalar(kind, value, limits)
    if problem:
        raise ValueError(f"{problem} for {operator}")
    if operator == "matches":
        compile_pattern(value)
    return value


def _check_list(kind: FieldKind, operator: str, value: Any, limits: RuleLimits) -> tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"must be a list for {operator}")
    if not 1 <= len(value) <= limits.max_list_items:
        raise ValueError(f"must list 1 to {limits.max_list_items} values for {operator}")
    for index, item in enumerate(value):
        problem = _scalar(kind, item, limits)
        if problem:
            raise ValueError(f"item {index} {problem} for {operator}")
    return tuple(value)


class ConditionLeaf(ClosedModel):
    """`field operator value`, e.g. `sentiment_score < -0.5`."""

    field: StrictStr
    operator: Operator
    value: Any

    @field_validator("field")
    @classmethod
    def _known_field(cls, name: str) -> str:
        if field_kind(name) is None:
            shown = name if len(name) <= 64 else f"{name[:64]}..."
            raise ValueError(f"unknown field {shown!r}; known fields: {describe_known_fields()}")
        return name

    @field_validator("operator", mode="before")
    @classmethod
    def _known_operator(cls, operator: Any, info: ValidationInfo) -> Any:
        if not isinstance(operator, str) or operator not in OPERATORS:
            raise ValueError(f"must be one of {' '.join(OPERATORS)}")
        kind = field_kind(info.data.get("field", ""))
        if kind is not None and operator not in OPERATORS_BY_KIND[kind]:
            allowed = " ".join(OPERATORS_BY_KIND[kind])
            raise ValueError(f"does not apply to a {kind} field; use one of {allowed}")
        return operator

    @field_validator("value")
    @classmethod
    def _value_fits(cls, value: Any, info: ValidationInfo) -> Any:
        kind = field_kind(info.data.get("field", ""))
        operator = info.data.get("operator")
        if kind is None or operator is None:
            return value  # the field or operator error already says what to fix
        return check_value(kind, operator, value, limits_of(info))


class ConditionGroup(ClosedModel):
    """AND or OR of one or more conditions, or NOT of exactly one."""

    operator: GroupOperator
    rules: tuple[Condition, ...]

    @field_validator("operator", mode="before")
    @classmethod
    def _known_operator(cls, operator: Any) -> Any:
        if not isinstance(operator, str) or operator not in GROUP_OPERATORS:
            raise ValueError(f"must be one of {' '.join(GROUP_OPERATORS)}")
        return operator

    @field_validator("rules")
    @classmethod
    def _arity(cls, rules: tuple[Condition, ...], info: ValidationInfo) -> tuple[Condition, ...]:
        operator = info.data.get("operator")
        if operator == "NOT" and len(rules) != 1:
            raise ValueError("NOT takes exactly one condition")
        if not rules:
            raise ValueError(f"{operator or 'a group'} needs at least one condition")
        return rules


def _condition_kind(value: Any) -> str | None:
    if isinstance(value, ConditionGroup):
        return "group"
    if isinstance(value, ConditionLeaf):
        return "leaf"
    if isinstance(value, dict):
        is_group = "rules" in value or value.get("operator") in GROUP_OPERATORS
        return "group" if is_group else "leaf"
    return None


Condition = Annotated[
    Annotated[ConditionGroup, Tag("group")] | Annotated[ConditionLeaf, Tag("leaf")],
    Discriminator(
        _condition_kind,
        custom_error_type="condition_shape",
        custom_error_message=(
            "must be a condition: a group {operator, rules} or a leaf {field, operator, value}"
        ),
    ),
]
CONDITION_TAGS = frozenset({"group", "leaf"})

ConditionGroup.model_rebuild()


def check_size(conditions: Any, limits: RuleLimits) -> None:
    """Refuse a condition tree deeper or larger than `limits` before anything recurses into it."""
    # Iterative, and it stops at the first excess: the check itself must stay cheap.
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(conditions, ())]
    nodes = 1
    while stack:
        node, at = stack.pop()
        if len(at) // 2 + 1 > limits.max_depth:
            raise located_error(at, f"conditions nest deeper than {limits.max_depth} levels")
        children = _children(node)
        nodes += len(children)
        if nodes > limits.max_nodes:
            raise located_error((), f"more than {limits.max_nodes} conditions in one rule")
        for index in reversed(range(len(children))):
            stack.append((children[index], (*at, "rules", index)))


def _children(node: Any) -> list[Any] | tuple[Any, ...]:
    if isinstance(node, ConditionGroup):
        return node.rules
    rules = node.get("rules") if isinstance(node, dict) else None
    return rules if isinstance(rules, list | tuple) else ()
