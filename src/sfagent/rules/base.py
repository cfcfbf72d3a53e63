"""What every rule model shares: closed to unknown keys, immutable, and bounded in size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo
from pydantic_core import PydanticCustomError

# The error type whose `at` context extends the location pydantic reports; see validation.py.
LOCATED_ERROR = "rule_error"


@dataclass(frozen=True, slots=True)
class RuleLimits:
    """Bounds on one rule, so a hostile document cannot make validation or evaluation costly."""

    max_depth: int = 20
    max_nodes: int = 500
    max_list_items: int = 200
    max_text_length: int = 1000


DEFAULT_LIMITS = RuleLimits()


def limits_of(info: ValidationInfo) -> RuleLimits:
    """The limits passed as validation context, or the defaults."""
    limits = info.context.get("limits") if isinstance(info.context, dict) else None
    return limits if isinstance(limits, RuleLimits) else DEFAULT_LIMITS


def located_error(at: tuple[str | int, ...], message: str) -> PydanticCustomError:
    """An error reported at `at` below the value being validated (pydantic knows only the value)."""
    return PydanticCustomError(LOCATED_ERROR, "{message}", {"at": at, "message": message})


def at_most(limit: int, what: str) -> BeforeValidator:
    """Refuse a list longer than `limit` before its items are validated one by one."""

    # Pydantic checks a length after validating every item, so a list of a million bad
    # items would cost seconds and a million errors before being refused for its length.
    def check(value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) > limit:
            raise ValueError(f"must have at most {limit} {what}")
        return value

    return BeforeValidator(check)


class ClosedModel(BaseModel):
    """A frozen model that refuses unknown keys: a misspelt key must not pass as absent."""

    model_config = ConfigDict(extra="forbid", frozen=True)
