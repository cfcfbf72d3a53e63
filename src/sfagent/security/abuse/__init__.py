"""Attack patterns and prompt injection in customer messages.

Salesforce customers paste SOQL, Apex, LWC markup, shell sessions and debug logs when they ask
for help, so every rule looks for the shape of an attack (a quote that breaks out of a literal,
a shell separator chaining into a dangerous command, an instruction aimed at the assistant),
never for a keyword alone. All scanning patterns run on RE2: time linear in the text, so a
20,000-character paste cannot stall the guard stage.

Only prompt injections are taken out of what the LLM sees (`neutralise_prompt_injection`); the
other kinds are data, reported to the guard stage and left in the text.
"""

from __future__ import annotations

# Relative imports: the engine reaches into nothing of sfagent outside this package.
from .neutralise import REMOVED, neutralise_prompt_injection
from .rule import EXCERPT_CHARS, AttackFinding, AttackKind
from .scanner import scan

__all__ = [
    "EXCERPT_CHARS",
    "REMOVED",
    "AttackFinding",
    "AttackKind",
    "neutralise_prompt_injection",
    "scan",
]
