"""Request and response bodies of /api/v1/admin/rules.

A rule is sent as the engine's JSON document itself (see `sfagent.rules`); the engine, not
these models, validates it, so every error names its path in the document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

RuleId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# A dry run with more unsaved rules than this is not a test of a rule set but a load test.
MAX_DRY_RUN_RULES = 500


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleOut(BaseModel):
    """A stored rule: its document (which PUT accepts back as is) and who changed it when."""

    id: str
    name: str
    description: str | None = None
    priority: int
    enabled: bool
    stop_processing: bool
    version: int
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    updated_by: str


class RuleList(BaseModel):
    """Every rule of the tenant in the order they run, and how many it may keep."""

    items: list[RuleOut]
    total: int
    limit: int


class RulePatch(_Strict):
    """Switch a rule on or off, move it, or make it stop the rules after it.

    `version`, when given, must be the current one (else 409).
    """

    enabled: StrictBool | None = None
    priority: StrictInt | None = None
    stop_processing: StrictBool | None = None
    version: Annotated[int, Field(ge=1)] | None = None


class RuleVersionOut(BaseModel):
    version: int
    change: str
    changed_by: str
    created_at: datetime
    rule: dict[str, Any]


class DryRunIn(_Strict):
    """A message to run the rules on; `facts` override what was learned from it; `rules`,
    when given, are run instead of the stored ones (unsaved rules to try)."""

    message: str = ""
    facts: dict[str, Any] = Field(default_factory=dict)
    rules: Annotated[list[Any], Field(max_length=MAX_DRY_RUN_RULES)] | None = None


class DryRunResultOut(BaseModel):
    rule_id: str
    name: str
    priority: int
    stop_processing: bool
    outcome: Literal["fired", "not_fired", "disabled", "not_reached"]
    fired: bool
    actions: list[dict[str, Any]]
    trace: list[dict[str, Any]] | None = None


class InvalidRuleOut(BaseModel):
    rule_id: str
    errors: list[dict[str, str]]


class DryRunOut(BaseModel):
    """The facts the rules saw, each rule's outcome in run order, and the merged decision."""

    facts: dict[str, Any]
    understood: bool
    rules_source: Literal["stored", "request"]
    fired: list[str]
    stopped_by: str | None
    results: list[DryRunResultOut]
    decision: dict[str, Any]
    invalid_rules: list[InvalidRuleOut]
