"""Conversation scenarios: multi-turn scripts with what each reply must show.

One TOML file per scenario (see `src/sfagent/data/eval/conversations/`):

    name = "Password reset"
    [setup]                      # optional: tenant tier, facts given at creation
    tier = "enterprise"
    context = { api_version = "59.0" }
    [[turns]]
    user = "I forgot my password"
    [turns.expect]               # every key optional
    intent = "password_reset"    # or intent_in = [...]
    category = "authentication_login"
    state = "awaiting_confirmation"   # the dialogue state after the turn
    status = "active"                 # the lifecycle status after the turn
    escalated = false
    action = "answer"                 # answer | clarify | confirm | escalate
    slots = { object = "Account" }    # must be among the conversation's slots
    topic = "password_reset"
    contains = ["password", "reset|change"]   # each, case-insensitive; "a|b" = either
    not_contains = ["refund"]
    citations_min = 1
    language = "en"
    csat = 5
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_FOLDER = Path(__file__).resolve().parents[1] / "data" / "eval" / "conversations"
TIERS = ("free", "standard", "enterprise")
EXPECTATION_KEYS = frozenset(
    {
        "intent",
        "intent_in",
        "category",
        "state",
        "status",
        "escalated",
        "action",
        "slots",
        "topic",
        "contains",
        "not_contains",
        "citations_min",
        "language",
        "csat",
    }
)
MAX_TURNS = 20


class ScenarioError(ValueError):
    """A scenario file that cannot be run, with the file and what to fix."""


@dataclass(frozen=True, slots=True)
class ScenarioTurn:
    user: str
    expect: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    path: Path
    turns: tuple[ScenarioTurn, ...]
    tier: str = "standard"
    context: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    tags: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return self.path.stem


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    """What the agent did with one turn, as the API reported it."""

    reply: str
    intent: str | None
    category: str | None
    state: str
    status: str
    escalated: bool
    action: str | None
    slots: dict[str, str]
    topic: str | None
    citations: int
    language: str | None
    csat: int | None


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    scenario: Scenario
    failures: list[str]  # "turn 2: state is gathering_context, expected ..."
    turns_run: int

    @property
    def passed(self) -> bool:
        return not self.failures


def load_scenarios(paths: Iterable[Path]) -> list[Scenario]:
    """Scenarios from files and folders (every *.toml in a folder), sorted by file name."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.glob("*.toml"))
        elif path.is_file():
            files.append(path)
        else:
            raise ScenarioError(f"{path}: no such file or folder")
    if not files:
        raise ScenarioError("no scenario files (*.toml) found")
    return [load_scenario(path) for path in files]


def load_scenario(path: Path) -> Scenario:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path.name}: not valid TOML ({exc})") from exc
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"{path.name}: `name` must be a non-empty string")
    setup = data.get("setup", {})
    tier = setup.get("tier", "standard")
    if tier not in TIERS:
        raise ScenarioError(f"{path.name}: setup.tier must be one of {', '.join(TIERS)}")
    context = setup.get("context", {})
    if not isinstance(context, dict):
        raise ScenarioError(f"{path.name}: setup.context must be a table")
    return Scenario(
        name=name,
        path=path,
        turns=_turns(path, data.get("turns")),
        tier=tier,
        context=context,
        description=str(data.get("description", "")),
        tags=tuple(str(tag) for tag in data.get("tags", [])),
    )


def _turns(path: Path, raw: Any) -> tuple[ScenarioTurn, ...]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_TURNS:
        raise ScenarioError(f"{path.name}: needs 1 to {MAX_TURNS} [[turns]]")
    turns = []
    for number, turn in enumerate(raw, start=1):
        user = turn.get("user") if isinstance(turn, dict) else None
        if not isinstance(user, str) or not user.strip():
            raise ScenarioError(f"{path.name}: turn {number} needs a non-empty `user` message")
        expect = turn.get("expect", {})
        unknown = sorted(set(expect) - EXPECTATION_KEYS)
        if unknown:
            raise ScenarioError(
                f"{path.name}: turn {number} expects unknown keys {', '.join(unknown)} "
                f"(known: {', '.join(sorted(EXPECTATION_KEYS))})"
            )
        turns.append(ScenarioTurn(user=user, expect=dict(expect)))
    return tuple(turns)


def check_turn(expect: dict[str, Any], outcome: TurnOutcome) -> list[str]:
    """Every expectation the outcome misses, as a sentence."""
    failures: list[str] = []
    for key, wanted in expect.items():
        problem = _CHECKS[key](wanted, outcome)
        if problem is not None:
            failures.append(problem)
    return failures


def _equal(name: str, attribute: str) -> Callable[[Any, TurnOutcome], str | None]:
    def check(wanted: Any, outcome: TurnOutcome) -> str | None:
        actual = getattr(outcome, attribute)
        return None if actual == wanted else f"{name} is {actual!r}, expected {wanted!r}"

    return check


def _intent_in(wanted: list[str], outcome: TurnOutcome) -> str | None:
    if outcome.intent in wanted:
        return None
    return f"intent is {outcome.intent!r}, expected one of {wanted}"


def _slots(wanted: dict[str, Any], outcome: TurnOutcome) -> str | None:
    missing = {
        name: value
        for name, value in wanted.items()
        if str(outcome.slots.get(name, "")).lower() != str(value).lower()
    }
    if not missing:
        return None
    return f"slots {outcome.slots} lack {missing}"


def _mentions(text: str, alternatives: str) -> bool:
    lowered = text.lower()
    return any(option.strip().lower() in lowered for option in alternatives.split("|"))


def _contains(wanted: list[str], outcome: TurnOutcome) -> str | None:
    missing = [phrase for phrase in wanted if not _mentions(outcome.reply, phrase)]
    return f"reply lacks {missing}: {_excerpt(outcome.reply)}" if missing else None


def _not_contains(wanted: list[str], outcome: TurnOutcome) -> str | None:
    present = [phrase for phrase in wanted if _mentions(outcome.reply, phrase)]
    return f"reply has {present}: {_excerpt(outcome.reply)}" if present else None


def _citations_min(wanted: int, outcome: TurnOutcome) -> str | None:
    if outcome.citations >= wanted:
        return None
    return f"{outcome.citations} citation(s), expected at least {wanted}"


def _excerpt(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return f"“{flat[:limit]}…”" if len(flat) > limit else f"“{flat}”"


_CHECKS: dict[str, Callable[[Any, TurnOutcome], str | None]] = {
    "intent": _equal("intent", "intent"),
    "intent_in": _intent_in,
    "category": _equal("category", "category"),
    "state": _equal("state", "state"),
    "status": _equal("status", "status"),
    "escalated": _equal("escalated", "escalated"),
    "action": _equal("action", "action"),
    "slots": _slots,
    "topic": _equal("topic", "topic"),
    "contains": _contains,
    "not_contains": _not_contains,
    "citations_min": _citations_min,
    "language": _equal("language", "language"),
    "csat": _equal("csat", "csat"),
}
