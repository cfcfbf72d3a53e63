"""Business rules: JSON documents validated on save, evaluated against each turn's facts.

A rule is `{id, name, priority, enabled, stop_processing, version, description?, conditions,
actions}`. Conditions are groups (`AND`, `OR`, `NOT` of exactly one) of leaves
`{field, operator, value}` over the fields in `fields.FIELDS` (and `entities.<TYPE>`).

Semantics, in short:
- Order: highest `priority` first; equal priorities by `id`. A fired rule with
  `stop_processing` ends the run; disabled rules are skipped.
- Absent facts (missing or None; an entity type with no entities) make every operator
  false except `exists`, which tests presence. Nothing raises on odd facts.
- `==`/`in` compare exactly (text is case-sensitive: record ids are); `contains` is a
  case-insensitive substring on text and exact membership on lists; `matches` is an RE2
  search, case-insensitive. Numbers compare only with numbers, and bool is not a number.
- `merge_actions` (or `Evaluation.decision()`) adds fired actions up; the stricter wins.
"""

from sfagent.rules.actions import (
    Action,
    AutoReplyAction,
    EscalateAction,
    NotifyAction,
    RouteAction,
    SetPriorityAction,
    SlaAction,
    TagAction,
    sla_seconds,
)
from sfagent.rules.base import DEFAULT_LIMITS, RuleLimits
from sfagent.rules.conditions import OPERATORS, Condition, ConditionGroup, ConditionLeaf
from sfagent.rules.decision import Decision, merge_actions
from sfagent.rules.engine import Evaluation, RuleResult, RuleSet
from sfagent.rules.evaluate import TraceStep
from sfagent.rules.fields import ENTITY_TYPES, FIELDS, FieldKind
from sfagent.rules.model import Rule
from sfagent.rules.validation import RuleValidationError, parse_rule, validation_errors

__all__ = [
    "DEFAULT_LIMITS",
    "ENTITY_TYPES",
    "FIELDS",
    "OPERATORS",
    "Action",
    "AutoReplyAction",
    "Condition",
    "ConditionGroup",
    "ConditionLeaf",
    "Decision",
    "EscalateAction",
    "Evaluation",
    "FieldKind",
    "NotifyAction",
    "RouteAction",
    "Rule",
    "RuleLimits",
    "RuleResult",
    "RuleSet",
    "RuleValidationError",
    "SetPriorityAction",
    "SlaAction",
    "TagAction",
    "TraceStep",
    "merge_actions",
    "parse_rule",
    "sla_seconds",
    "validation_errors",
]
