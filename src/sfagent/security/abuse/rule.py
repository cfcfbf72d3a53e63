"""What a rule is and what it finds: attack kinds, findings, and rules compiled for RE2."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import re2  # type: ignore[import-untyped]

EXCERPT_CHARS = 80
# A DFA budget large enough for the bounded repetitions in the rules; RE2's 8 MiB default
# falls back to the slower NFA on long texts.
_MAX_MEM = 32 << 20


class AttackKind(enum.StrEnum):
    """What an attack targets: our database, the browser, a shell, or the LLM."""

    SQL_INJECTION = "sql_injection"
    SCRIPT_INJECTION = "script_injection"
    COMMAND_INJECTION = "command_injection"
    PROMPT_INJECTION = "prompt_injection"


@dataclass(frozen=True, slots=True)
class AttackFinding:
    """One matched attack pattern: character span in the scanned text and a short excerpt."""

    kind: AttackKind
    rule: str
    start: int
    end: int
    excerpt: str


Groups = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: AttackKind
    rule: str
    regex: Any
    hit_group: int
    # A check RE2 cannot express (no back-references or look-arounds): rejects a match.
    accept: Callable[[Groups], bool] | None


_KIND_OF_PREFIX = {
    "sql": AttackKind.SQL_INJECTION,
    "script": AttackKind.SCRIPT_INJECTION,
    "cmd": AttackKind.COMMAND_INJECTION,
    "prompt": AttackKind.PROMPT_INJECTION,
}


def _rule(rule: str, pattern: str, accept: Callable[[Groups], bool] | None = None) -> _Rule:
    """A rule whose kind is named by its id's prefix: `sql.tautology` is an SQL injection."""
    kind = _KIND_OF_PREFIX[rule.split(".")[0]]
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = _MAX_MEM
    regex = re2.compile(pattern.encode(), options)
    return _Rule(kind, rule, regex, regex.groupindex.get(b"hit", 0), accept)
