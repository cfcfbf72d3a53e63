"""A tenant's business rules: validated by the engine, versioned, audited, and dry-run.

Every saved change is a new version kept whole in the history; a change that leaves the
rule as it was saves nothing. `version` guards against overwriting someone else's change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import anyio
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.admin_rules.facts import (
    IntentCatalogLike,
    UnderstandingLike,
    build_facts,
    fact_errors,
)
from sfagent.admin_rules.hours import open_now
from sfagent.admin_rules.models import BusinessRule, BusinessRuleVersion
from sfagent.admin_rules.repository import RulesRepository
from sfagent.db.base import utcnow
from sfagent.errors import Conflict, NotFound, ValidationFailed
from sfagent.rules import Evaluation, Rule, RuleSet, RuleValidationError, parse_rule
from sfagent.security.audit import audit_change
from sfagent.tenancy.context import Tenant

# Shown on a read and ignored on a write, so a rule read can be edited and sent back whole.
READ_ONLY_KEYS = ("created_at", "updated_at", "updated_by")
# The most problems one dry run reports (the engine's own cap applies per rule).
MAX_ERRORS = 100
RuleChange = Literal["created", "replaced", "updated"]


class RuleNotFound(NotFound):
    def __init__(self, rule_id: str) -> None:
        super().__init__(f"rule {rule_id!r} not found")


class Understands(Protocol):
    """The NLU as the dry run uses it (`sfagent.nlu.understand.Understander`)."""

    @property
    def catalog(self) -> IntentCatalogLike: ...

    def understand(self, text: str) -> UnderstandingLike: ...


@dataclass(frozen=True, slots=True)
class StoredRules:
    """A tenant's rules ready to run, and the stored ones the engine no longer accepts."""

    rule_set: RuleSet
    invalid: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class DryRun:
    """What the rules did with the facts built for one message."""

    facts: dict[str, Any]
    understood: bool
    source: Literal["stored", "request"]
    rule_set: RuleSet
    evaluation: Evaluation
    invalid: list[dict[str, Any]]

    @property
    def stopped_by(self) -> str | None:
        """The fired rule whose stop_processing kept the rules after it from running."""
        for rule, result in zip(self.rule_set.rules, self.evaluation.results, strict=True):
            if result.fired and rule.stop_processing:
                return rule.id
        return None


# -- reading ---------------------------------------------------------------------------


async def list_rules(session: AsyncSession, tenant: Tenant) -> list[BusinessRule]:
    """The tenant's rules in the order they run: highest priority first, then by id."""
    rows = await RulesRepository(session, tenant.organization_id).all()
    return sorted(rows, key=run_order)


async def get_rule(session: AsyncSession, tenant: Tenant, rule_id: str) -> BusinessRule:
    """One rule of the tenant; another tenant's rule is not found."""
    row = await RulesRepository(session, tenant.organization_id).get(rule_id)
    if row is None:
        raise RuleNotFound(rule_id)
    return row


async def rule_versions(
    session: AsyncSession, tenant: Tenant, rule_id: str
) -> Sequence[BusinessRuleVersion]:
    """Every saved version of a rule, oldest first."""
    repository = RulesRepository(session, tenant.organization_id)
    row = await repository.get(rule_id)
    if row is None:
        raise RuleNotFound(rule_id)
    return await repository.versions(row.id)


async def load_rules(session: AsyncSession, organization_id: str) -> StoredRules:
    """The organization's stored rules as a RuleSet; rules that no longer validate are left
    out and listed, so one stale rule cannot stop the others from running."""
    rows = await RulesRepository(session, organization_id).all()
    rules: list[Rule] = []
    invalid: list[dict[str, Any]] = []
    for row in sorted(rows, key=run_order):
        try:
            rules.append(parse_rule(row.definition))
        except RuleValidationError as error:
            invalid.append({"rule_id": row.rule_id, "errors": error.errors})
    return StoredRules(RuleSet(rules), invalid)


# -- writing ---------------------------------------------------------------------------


async def create_rule(
    session: AsyncSession, tenant: Tenant, document: Mapping[str, Any], *, max_rules: int
) -> BusinessRule:
    """A new rule at version 1 (a `version` in the document is ignored)."""
    rule = validate_document(document)
    repository = RulesRepository(session, tenant.organization_id)
    if await repository.get(rule.id) is not None:
        raise Conflict(
            f"rule {rule.id!r} already exists; change it with PUT or PATCH, or pick another id",
            details={"rule_id": rule.id},
        )
    current = await repository.count()
    if current >= max_rules:
        raise Conflict(
            f"this organization may keep {max_rules} rules and has {current}: "
            "delete or merge some first",
            details={"limit": max_rules, "current": current},
        )
    row = BusinessRule(organization_id=tenant.organization_id, version=1)
    _apply(row, rule, tenant)
    repository.add(row)
    try:
        await session.flush()
    except IntegrityError as error:  # the same id created concurrently
        raise Conflict(f"rule {rule.id!r} already exists", details={"rule_id": rule.id}) from error
    repository.add(_version_row(row, "created", tenant))
    await audit_change(session, tenant, "rules.rule.created", row.rule_id, {"version": 1})
    return row


async def replace_rule(
    session: AsyncSession, tenant: Tenant, rule_id: str, document: Mapping[str, Any]
) -> BusinessRule:
    """Replace a rule whole; a `version` in the document must be the current one (else 409)."""
    document = dict(document)
    given_id = document.setdefault("id", rule_id)
    rule = validate_document(document)
    if given_id != rule_id:
        raise RuleValidationError(
            [{"path": "id", "message": f"must be {rule_id!r}, the id in the URL; ids never change"}]
        )
    expected = rule.version if "version" in document else None
    return await _change(session, tenant, rule_id, rule, "replaced", expected)


async def update_rule(
    session: AsyncSession,
    tenant: Tenant,
    rule_id: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> BusinessRule:
    """Change some top-level fields (enabled, priority, stop_processing) of a rule."""
    row = await _get_for_update(session, tenant, rule_id)
    rule = validate_document({**row.definition, **changes})
    return await _change(session, tenant, rule_id, rule, "updated", expected_version, row=row)


async def delete_rule(session: AsyncSession, tenant: Tenant, rule_id: str) -> None:
    """Delete a rule and its history; the audit entry keeps its last definition."""
    row = await _get_for_update(session, tenant, rule_id)
    details = {"version": row.version, "definition": row.definition}
    await RulesRepository(session, tenant.organization_id).delete(row)
    await audit_change(session, tenant, "rules.rule.deleted", rule_id, details)


# -- dry run ---------------------------------------------------------------------------


async def dry_run(
    session: AsyncSession,
    tenant: Tenant,
    *,
    message: str = "",
    overrides: Mapping[str, Any] | None = None,
    documents: Sequence[Any] | None = None,
    understander: Understands | None = None,
) -> DryRun:
    """Which rules fire for `message`, in order, with every condition's outcome.

    The facts come from the NLU (when given), the tenant's tier and business hours, then
    `overrides`; the
    rules are `documents` when given (unsaved rules to try), else the tenant's stored rules.
    """
    if len(message) > tenant.limits.max_message_length:
        raise ValidationFailed(
            "message", f"must be at most {tenant.limits.max_message_length} characters"
        )
    overrides = overrides or {}
    problems = fact_errors(overrides)
    if problems:
        raise RuleValidationError(problems)
    source: Literal["stored", "request"]
    if documents is not None:
        source, rule_set, invalid = "request", _request_rules(documents), []
    else:
        stored = await load_rules(session, tenant.organization_id)
        source, rule_set, invalid = "stored", stored.rule_set, stored.invalid
    understanding = None
    catalog = None
    if message.strip() and understander is not None:
        understanding = await anyio.to_thread.run_sync(understander.understand, message)
        catalog = understander.catalog
    facts = build_facts(
        understanding,
        catalog=catalog,
        customer_tier=tenant.tier,
        business_hours=await open_now(session, tenant.organization_id, utcnow()),
        overrides=overrides,
    )
    evaluation = rule_set.evaluate(facts, trace=True)
    return DryRun(facts, understanding is not None, source, rule_set, evaluation, invalid)


def _request_rules(documents: Sequence[Any]) -> RuleSet:
    try:
        return RuleSet.from_documents(documents)
    except RuleValidationError as error:
        problems = [{**problem, "path": f"rules{problem['path']}"} for problem in error.errors]
        if len(problems) > MAX_ERRORS:  # enough to fix by; 500 bad rules need not list all
            more = len(problems) - MAX_ERRORS
            problems = [*problems[:MAX_ERRORS], {"path": "", "message": f"{more} more errors"}]
        raise RuleValidationError(problems) from error


# -- helpers ---------------------------------------------------------------------------


def validate_document(document: Any) -> Rule:
    """The engine's Rule from a document, read-only keys dropped; 422 naming each bad path.

    Stricter than the engine in one way: `actions` must be present (`[]` when the rule only
    stops the rules after it), so a forgotten list is not saved as a rule that does nothing.
    """
    if not isinstance(document, Mapping):
        raise RuleValidationError([{"path": "", "message": "must be an object"}])
    cleaned = {key: value for key, value in document.items() if key not in READ_ONLY_KEYS}
    try:
        rule = parse_rule(cleaned)
    except RuleValidationError as error:
        raise RuleValidationError(error.errors + _missing_actions(cleaned)) from error
    if _missing_actions(cleaned):
        raise RuleValidationError(_missing_actions(cleaned))
    # PostgreSQL cannot store U+0000 in JSON; say where it is rather than fail on save.
    nul = _nul_paths(rule.to_dict(), "")
    if nul:
        raise RuleValidationError(
            [{"path": path, "message": "contains a NUL character (U+0000)"} for path in nul]
        )
    return rule


def _missing_actions(document: Mapping[str, Any]) -> list[dict[str, str]]:
    # The engine reads a missing list as "no actions"; a stored rule must say so with [].
    if "actions" in document:
        return []
    return [{"path": "actions", "message": "is required; [] for a rule that only stops others"}]


def run_order(row: BusinessRule) -> tuple[int, str]:
    """The engine's order: highest priority first, equal priorities by id."""
    return (-row.priority, row.rule_id)


async def _get_for_update(session: AsyncSession, tenant: Tenant, rule_id: str) -> BusinessRule:
    row = await RulesRepository(session, tenant.organization_id).get(rule_id, for_update=True)
    if row is None:
        raise RuleNotFound(rule_id)
    return row


async def _change(
    session: AsyncSession,
    tenant: Tenant,
    rule_id: str,
    rule: Rule,
    change: RuleChange,
    expected_version: int | None,
    *,
    row: BusinessRule | None = None,
) -> BusinessRule:
    row = row or await _get_for_update(session, tenant, rule_id)
    if expected_version is not None and expected_version != row.version:
        raise Conflict(
            f"rule {rule_id!r} is at version {row.version}, not {expected_version}: someone "
            "changed it; reload it and apply your change again",
            details={"current_version": row.version},
        )
    if _definition(rule, row.version) == row.definition:
        return row  # nothing changed: no new version
    row.version += 1
    _apply(row, rule, tenant)
    RulesRepository(session, tenant.organization_id).add(_version_row(row, change, tenant))
    await session.flush()
    await audit_change(session, tenant, f"rules.rule.{change}", rule_id, {"version": row.version})
    return row


def _definition(rule: Rule, version: int) -> dict[str, Any]:
    return {**rule.to_dict(), "version": version}


def _apply(row: BusinessRule, rule: Rule, tenant: Tenant) -> None:
    row.rule_id = rule.id
    row.name = rule.name
    row.priority = rule.priority
    row.enabled = rule.enabled
    row.stop_processing = rule.stop_processing
    row.definition = _definition(rule, row.version)
    row.updated_by = tenant.principal.label[:120]


def _version_row(row: BusinessRule, change: RuleChange, tenant: Tenant) -> BusinessRuleVersion:
    return BusinessRuleVersion(
        organization_id=row.organization_id,
        business_rule_id=row.id,
        rule_id=row.rule_id,
        version=row.version,
        definition=row.definition,
        change=change,
        changed_by=tenant.principal.label[:120],
    )


def _nul_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _nul_paths(item, f"{path}[{index}]")]
    if isinstance(value, dict):
        return [
            p
            for key, item in value.items()
            for p in _nul_paths(item, f"{path}.{key}" if path else str(key))
        ]
    return []
