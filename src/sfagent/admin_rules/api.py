"""REST routes of business rules: CRUD, history and a dry run, under /api/v1/admin/rules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

from sfagent.admin_rules import hours, service
from sfagent.admin_rules.models import BusinessRule
from sfagent.admin_rules.schemas import (
    DryRunIn,
    DryRunOut,
    DryRunResultOut,
    InvalidRuleOut,
    RuleId,
    RuleList,
    RuleOut,
    RulePatch,
    RuleVersionOut,
)
from sfagent.db.session import SessionDep
from sfagent.errors import ValidationFailed
from sfagent.pipeline.nlu_runtime import NluRuntime
from sfagent.rules.business_hours import BusinessHours
from sfagent.rules.evaluate import json_safe
from sfagent.tenancy.dependencies import RulesRead, RulesWrite, SettingsDep

router = APIRouter(prefix="/api/v1/admin/rules", tags=["rules"])
hours_router = APIRouter(prefix="/api/v1/admin/business-hours", tags=["rules"])

RuleDocument = Annotated[
    dict[str, Any],
    Body(
        description="A rule document: {id, name, priority?, enabled?, stop_processing?, "
        "version?, description?, conditions, actions}",
    ),
]


def rule_out(row: BusinessRule) -> RuleOut:
    return RuleOut(
        **row.definition,
        created_at=row.created_at,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


@router.post("", status_code=201, response_model=RuleOut)
async def create_rule(
    document: RuleDocument, tenant: RulesWrite, session: SessionDep, settings: SettingsDep
) -> RuleOut:
    """Create a rule (409 when its id exists or the tenant has as many rules as it may)."""
    row = await service.create_rule(
        session, tenant, document, max_rules=settings.rules_max_per_tenant
    )
    return rule_out(row)


@router.get("", response_model=RuleList)
async def list_rules(tenant: RulesRead, session: SessionDep, settings: SettingsDep) -> RuleList:
    """Every rule, in the order they run: highest priority first, equal priorities by id."""
    rows = await service.list_rules(session, tenant)
    return RuleList(
        items=[rule_out(row) for row in rows],
        total=len(rows),
        limit=settings.rules_max_per_tenant,
    )


@router.post("/dry-run", response_model=DryRunOut)
async def dry_run(
    body: DryRunIn, request: Request, tenant: RulesRead, session: SessionDep
) -> DryRunOut:
    """Which rules fire for a message, in order, with each condition's trace; saves nothing."""
    nlu: NluRuntime | None = request.app.state.nlu
    understander = await nlu.get() if nlu is not None else None
    result = await service.dry_run(
        session,
        tenant,
        message=body.message,
        overrides=body.facts,
        documents=body.rules,
        understander=understander,
    )
    evaluation = result.evaluation
    return DryRunOut(
        facts=json_safe(result.facts),
        understood=result.understood,
        rules_source=result.source,
        fired=[outcome.rule_id for outcome in evaluation.fired],
        stopped_by=result.stopped_by,
        results=[
            DryRunResultOut(
                **outcome.to_dict(), priority=rule.priority, stop_processing=rule.stop_processing
            )
            for rule, outcome in zip(result.rule_set.rules, evaluation.results, strict=True)
        ],
        decision=evaluation.decision().to_dict(),
        invalid_rules=[InvalidRuleOut(**invalid) for invalid in result.invalid],
    )


@router.get("/{rule_id}", response_model=RuleOut)
async def get_rule(rule_id: RuleId, tenant: RulesRead, session: SessionDep) -> RuleOut:
    return rule_out(await service.get_rule(session, tenant, rule_id))


@router.put("/{rule_id}", response_model=RuleOut)
async def replace_rule(
    rule_id: RuleId, document: RuleDocument, tenant: RulesWrite, session: SessionDep
) -> RuleOut:
    """Replace a rule whole; its `version`, when given, must be the current one (else 409)."""
    return rule_out(await service.replace_rule(session, tenant, rule_id, document))


@router.patch("/{rule_id}", response_model=RuleOut)
async def update_rule(
    rule_id: RuleId, body: RulePatch, tenant: RulesWrite, session: SessionDep
) -> RuleOut:
    """Switch a rule on or off, change its priority or stop_processing."""
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    for name, value in changes.items():
        if value is None:
            raise ValidationFailed(name, "cannot be null; leave it out to keep the current value")
    row = await service.update_rule(
        session, tenant, rule_id, changes, expected_version=body.version
    )
    return rule_out(row)


@router.delete("/{rule_id}", status_code=204)
async def delete_rule(rule_id: RuleId, tenant: RulesWrite, session: SessionDep) -> Response:
    await service.delete_rule(session, tenant, rule_id)
    return Response(status_code=204)


@router.get("/{rule_id}/versions", response_model=list[RuleVersionOut])
async def rule_versions(
    rule_id: RuleId, tenant: RulesRead, session: SessionDep
) -> list[RuleVersionOut]:
    """Every saved version of the rule, oldest first, each whole."""
    versions = await service.rule_versions(session, tenant, rule_id)
    return [
        RuleVersionOut(
            version=version.version,
            change=version.change,
            changed_by=version.changed_by,
            created_at=version.created_at,
            rule=version.definition,
        )
        for version in versions
    ]


@hours_router.get("", response_model=BusinessHours)
async def get_business_hours(tenant: RulesRead, session: SessionDep) -> BusinessHours:
    """The organization's business hours (the `business_hours` fact of its rules)."""
    return await hours.require_business_hours(session, tenant)


@hours_router.put("", response_model=BusinessHours)
async def set_business_hours(
    body: BusinessHours, tenant: RulesWrite, session: SessionDep
) -> BusinessHours:
    """Set the weekly schedule ("09:00-17:30" ranges per weekday), time zone and holidays."""
    return await hours.set_business_hours(session, tenant, body)


@hours_router.delete("", status_code=204)
async def clear_business_hours(tenant: RulesWrite, session: SessionDep) -> Response:
    """Remove the schedule: rules then see no `business_hours` fact."""
    await hours.clear_business_hours(session, tenant)
    return Response(status_code=204)
