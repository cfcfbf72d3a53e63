"""A set of rules run against one turn's facts: which fired, what they ask, and why.

Rules run highest `priority` first, equal priorities by `id`, so the order never depends on
how the rules were stored or listed. Evaluation is pure: no I/O, no clock, no randomness.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sfagent.rules.actions import Action, action_to_dict
from sfagent.rules.base import DEFAULT_LIMITS, RuleLimits
from sfagent.rules.conditions import Condition, ConditionLeaf, compile_pattern
from sfagent.rules.decision import Decision, merge_actions
from sfagent.rules.evaluate import Patterns, TraceStep, explain, holds
from sfagent.rules.model import Rule
from sfagent.rules.validation import RuleValidationError, parse_rule

Outcome = Literal["fired", "not_fired", "disabled", "not_reached"]


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule's outcome; `trace` is set in a dry run for the rules that were evaluated."""

    rule_id: str
    name: str
    outcome: Outcome
    actions: tuple[Action, ...] = ()
    trace: tuple[TraceStep, ...] | None = None

    @property
    def fired(self) -> bool:
        return self.outcome == "fired"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data: dict[str, Any] = {
            "rule_id": self.rule_id,
            "name": self.name,
            "outcome": self.outcome,
            "fired": self.fired,
            "actions": [action_to_dict(action) for action in self.actions],
        }
        if self.trace is not None:
            data["trace"] = [step.to_dict() for step in self.trace]
        return data


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Every rule's outcome, in the order the rules run."""

    results: tuple[RuleResult, ...]

    @property
    def fired(self) -> tuple[RuleResult, ...]:
        return tuple(result for result in self.results if result.fired)

    @property
    def actions(self) -> tuple[Action, ...]:
        """The fired rules' actions, in firing order."""
        return tuple(action for result in self.fired for action in result.actions)

    def decision(self) -> Decision:
        """The fired actions merged into one decision."""
        return merge_actions(self.actions)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the merged decision."""
        return {
            "fired": [result.rule_id for result in self.fired],
            "results": [result.to_dict() for result in self.results],
            "decision": self.decision().to_dict(),
        }


class RuleSet:
    """Validated rules in run order, with their patterns compiled once."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        listed = list(rules)
        _refuse_duplicate_ids(listed)
        self.rules: tuple[Rule, ...] = tuple(sorted(listed, key=lambda r: (-r.priority, r.id)))
        self._patterns: Patterns = _compile_patterns(self.rules)

    @classmethod
    def from_documents(
        cls, documents: Sequence[Any], *, limits: RuleLimits = DEFAULT_LIMITS
    ) -> RuleSet:
        """A rule set from JSON-like documents; errors are prefixed with the document index."""
        rules: list[Rule] = []
        errors: list[dict[str, str]] = []
        for index, document in enumerate(documents):
            try:
                rules.append(parse_rule(document, limits=limits))
            except RuleValidationError as error:
                errors += [_under(index, problem) for problem in error.errors]
        if errors:
            raise RuleValidationError(errors)
        return cls(rules)

    def __len__(self) -> int:
        return len(self.rules)

    def evaluate(self, facts: Mapping[str, Any], *, trace: bool = False) -> Evaluation:
        """Run the enabled rules on `facts`; with `trace`, record why each did or did not fire."""
        results: list[RuleResult] = []
        stopped = False
        for rule in self.rules:
            if not rule.enabled or stopped:
                results.append(RuleResult(rule.id, rule.name, _skipped(rule)))
                continue
            result = self._run(rule, facts, trace=trace)
            results.append(result)
            stopped = result.fired and rule.stop_processing
        return Evaluation(tuple(results))

    def _run(self, rule: Rule, facts: Mapping[str, Any], *, trace: bool) -> RuleResult:
        steps: tuple[TraceStep, ...] | None = None
        if trace:
            fired, explained = explain(rule.conditions, facts, self._patterns)
            steps = tuple(explained)
        else:
            fired = holds(rule.conditions, facts, self._patterns)
        if not fired:
            return RuleResult(rule.id, rule.name, "not_fired", trace=steps)
        return RuleResult(rule.id, rule.name, "fired", rule.actions, steps)


def _skipped(rule: Rule) -> Outcome:
    return "not_reached" if rule.enabled else "disabled"


def _refuse_duplicate_ids(rules: list[Rule]) -> None:
    first_index: dict[str, int] = {}
    errors: list[dict[str, str]] = []
    for index, rule in enumerate(rules):
        if rule.id in first_index:
            message = f"duplicate id {rule.id!r}; also at [{first_index[rule.id]}]"
            errors.append({"path": f"[{index}].id", "message": message})
        first_index.setdefault(rule.id, index)
    if errors:
        raise RuleValidationError(errors)


def _under(index: int, problem: Mapping[str, str]) -> dict[str, str]:
    path = problem["path"]
    separator = "" if not path or path.startswith("[") else "."
    return {"path": f"[{index}]{separator}{path}", "message": problem["message"]}


def _compile_patterns(rules: Iterable[Rule]) -> dict[str, Any]:
    patterns: dict[str, Any] = {}
    for rule in rules:
        for leaf in _leaves(rule.conditions):
            if leaf.operator == "matches" and leaf.value not in patterns:
                patterns[leaf.value] = compile_pattern(leaf.value)
    return patterns


def _leaves(condition: Condition) -> Iterable[ConditionLeaf]:
    if isinstance(condition, ConditionLeaf):
        yield condition
        return
    for child in condition.rules:
        yield from _leaves(child)
