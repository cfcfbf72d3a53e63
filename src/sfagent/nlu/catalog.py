"""Intent catalog and the shipped Salesforce-support intent examples.

Both are package data under ``sfagent/nlu/data``: ``intent_catalog.toml`` says how each intent
is routed (group, support category, priority, auto-resolve threshold, escalation) and
``salesforce_intents.jsonl`` holds the labelled examples, split into ``train`` and ``test``.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Literal, TypeVar, cast, get_args

SupportCategory = Literal[
    "apex_runtime_error",
    "governor_limit",
    "soql_error",
    "dml_validation_error",
    "api_integration",
    "authentication_login",
    "permissions_sharing",
    "data_import_export",
    "flow_automation",
    "deployment_metadata",
    "lightning_lwc",
    "reports_dashboards",
    "billing_account",
    "how_to_config",
    "other",
]
SupportGroup = Literal["TECHNICAL", "ACCOUNT", "BILLING", "PRODUCT", "DATA", "DIALOGUE"]
Split = Literal["train", "test"]
_Choice = TypeVar("_Choice", bound=str)

SUPPORT_CATEGORIES: tuple[SupportCategory, ...] = get_args(SupportCategory)
SUPPORT_GROUPS: tuple[SupportGroup, ...] = get_args(SupportGroup)
SPLITS: tuple[Split, ...] = get_args(Split)
OUT_OF_SCOPE_INTENT = "oos"

CATALOG_SCHEMA_VERSION = 1
_DATA_DIR = "data"
_CATALOG_FILE = "intent_catalog.toml"
_EXAMPLES_FILE = "salesforce_intents.jsonl"
_SPEC_KEYS = frozenset(
    {
        "group",
        "category",
        "subcategory",
        "priority_weight",
        "auto_resolve_threshold",
        "escalate",
        "description",
    }
)


@dataclass(frozen=True, slots=True)
class IntentSpec:
    """How one intent is grouped, prioritised and handed off."""

    name: str
    group: SupportGroup
    category: SupportCategory
    subcategory: str
    priority_weight: float
    auto_resolve_threshold: float
    escalate: bool
    description: str

    def __post_init__(self) -> None:
        for label, value in (
            ("priority_weight", self.priority_weight),
            ("auto_resolve_threshold", self.auto_resolve_threshold),
        ):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"intent {self.name!r}: {label} {value} is outside 0..1")

    @property
    def in_scope(self) -> bool:
        """Whether this intent is something the support agent handles (everything but oos)."""
        return self.name != OUT_OF_SCOPE_INTENT


@dataclass(frozen=True, slots=True)
class IntentCatalog:
    """All intent specs, in catalog order, with lookups by name, group and category."""

    specs: tuple[IntentSpec, ...]
    _by_name: Mapping[str, IntentSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, IntentSpec] = {}
        for spec in self.specs:
            if spec.name in by_name:
                raise ValueError(f"intent {spec.name!r} is listed twice")
            by_name[spec.name] = spec
        object.__setattr__(self, "_by_name", MappingProxyType(by_name))

    def __contains__(self, intent: object) -> bool:
        return intent in self._by_name

    def __len__(self) -> int:
        return len(self.specs)

    def get(self, intent: str) -> IntentSpec | None:
        """Return the spec of an intent, or None when the catalog has no such intent."""
        return self._by_name.get(intent)

    @property
    def intents(self) -> tuple[str, ...]:
        """Every intent name, oos included, in catalog order."""
        return tuple(spec.name for spec in self.specs)

    @property
    def in_scope_intents(self) -> tuple[str, ...]:
        """Every intent name except oos."""
        return tuple(spec.name for spec in self.specs if spec.in_scope)

    @property
    def groups(self) -> tuple[SupportGroup, ...]:
        """The groups that have at least one intent, in SUPPORT_GROUPS order."""
        used = {spec.group for spec in self.specs}
        return tuple(group for group in SUPPORT_GROUPS if group in used)

    @property
    def categories(self) -> tuple[SupportCategory, ...]:
        """The support categories that have at least one intent, in SUPPORT_CATEGORIES order."""
        used = {spec.category for spec in self.specs}
        return tuple(category for category in SUPPORT_CATEGORIES if category in used)

    def intents_in_group(self, group: SupportGroup) -> tuple[str, ...]:
        """Names of the intents in one group."""
        return tuple(spec.name for spec in self.specs if spec.group == group)

    def intents_in_category(self, category: SupportCategory) -> tuple[str, ...]:
        """Names of the intents in one support category."""
        return tuple(spec.name for spec in self.specs if spec.category == category)


@dataclass(frozen=True, slots=True)
class IntentExample:
    """One labelled utterance from the shipped intent data."""

    text: str
    intent: str
    split: Split


def parse_intent_catalog(text: str) -> IntentCatalog:
    """Parse and validate intent catalog TOML; raise ValueError on any malformed entry."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"intent catalog is not valid TOML: {error}") from error
    version = document.get("schema_version")
    if version != CATALOG_SCHEMA_VERSION:
        raise ValueError(
            f"intent catalog schema_version is {version!r}, expected {CATALOG_SCHEMA_VERSION}"
        )
    tables = document.get("intents")
    if not isinstance(tables, dict) or not tables:
        raise ValueError("intent catalog has no [intents.<name>] tables")
    return IntentCatalog(tuple(_spec_from_table(name, table) for name, table in tables.items()))


@cache
def load_intent_catalog() -> IntentCatalog:
    """Load the intent catalog shipped with sfagent (parsed once per process)."""
    return parse_intent_catalog(_read_data_file(_CATALOG_FILE))


def parse_intent_examples(lines: Iterable[str]) -> tuple[IntentExample, ...]:
    """Parse JSONL rows of {"text", "intent", "split"}; raise ValueError on a malformed row."""
    examples: list[IntentExample] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            examples.append(_example_from_line(number, line))
    return tuple(examples)


def load_intent_examples(split: str | None = None) -> list[IntentExample]:
    """Return the shipped intent examples, all of them or only those of one split."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of: {', '.join(SPLITS)}")
    return [example for example in _shipped_examples() if split in (None, example.split)]


@cache
def _shipped_examples() -> tuple[IntentExample, ...]:
    return parse_intent_examples(_read_data_file(_EXAMPLES_FILE).splitlines())


def _read_data_file(name: str) -> str:
    return files("sfagent.nlu").joinpath(_DATA_DIR).joinpath(name).read_text(encoding="utf-8")


def _spec_from_table(name: str, table: object) -> IntentSpec:
    if not isinstance(table, dict):
        raise ValueError(f"intent {name!r}: expected a table")
    missing = _SPEC_KEYS - table.keys()
    unknown = table.keys() - _SPEC_KEYS
    if missing or unknown:
        raise ValueError(
            f"intent {name!r}: missing keys {sorted(missing)}, unknown keys {sorted(unknown)}"
        )
    return IntentSpec(
        name=name,
        group=_choice(name, "group", table["group"], SUPPORT_GROUPS),
        category=_choice(name, "category", table["category"], SUPPORT_CATEGORIES),
        subcategory=_text(name, "subcategory", table["subcategory"]),
        priority_weight=_number(name, "priority_weight", table["priority_weight"]),
        auto_resolve_threshold=_number(
            name, "auto_resolve_threshold", table["auto_resolve_threshold"]
        ),
        escalate=_flag(name, "escalate", table["escalate"]),
        description=_text(name, "description", table["description"]),
    )


def _choice(name: str, key: str, value: object, allowed: tuple[_Choice, ...]) -> _Choice:
    if value not in allowed:
        raise ValueError(f"intent {name!r}: {key} {value!r} is not one of {', '.join(allowed)}")
    return value


def _text(name: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"intent {name!r}: {key} must be a non-empty string")
    return value


def _number(name: str, key: str, value: object) -> float:
    # bool is an int subclass; a true/false weight is a typo, not a number.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"intent {name!r}: {key} must be a number")
    return float(value)


def _flag(name: str, key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"intent {name!r}: {key} must be true or false")
    return value


def _example_from_line(number: int, line: str) -> IntentExample:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"intent examples line {number}: invalid JSON ({error})") from error
    if not isinstance(row, dict) or set(row) != {"text", "intent", "split"}:
        raise ValueError(f"intent examples line {number}: expected keys text, intent, split")
    text, intent, split = row["text"], row["intent"], row["split"]
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"intent examples line {number}: text must be a non-empty string")
    if not isinstance(intent, str) or not intent:
        raise ValueError(f"intent examples line {number}: intent must be a non-empty string")
    if split not in SPLITS:
        raise ValueError(f"intent examples line {number}: unknown split {split!r}")
    return IntentExample(text=text, intent=intent, split=cast(Split, split))
