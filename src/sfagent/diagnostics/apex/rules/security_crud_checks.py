"""Which permission checks ApexCRUDViolation credits to an object, the way PMD collects them.

PMD remembers, per `DefiningType:Object`, the describe calls it has seen
(`Contact.sObjectType.getDescribe().isCreateable()`,
`Schema.sObjectType.Contact.fields.Name.isUpdateable()`), ESAPI authorisation calls and calls
matching the configured `<operation>AuthMethodPattern`s, and decides from those whether an
operation on an object is covered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from sfagent.diagnostics.apex.dataflow import VARIABLE, kind_of, variable_view
from sfagent.diagnostics.apex.dataflow_scopes import SourceScopes
from sfagent.diagnostics.apex.rules.base import InvalidRuleProperty, PropertyValue

ANY = "ANY"
CREATE = "isCreateable"
READ = "isAccessible"
UPDATE = "isUpdateable"
DELETE = "isDeletable"
UNDELETE = "isUndeletable"
MERGE = "isMergeable"
AUTH_OPERATIONS = {
    "create": CREATE,
    "read": READ,
    "update": UPDATE,
    "delete": DELETE,
    "undelete": UNDELETE,
    "merge": MERGE,
}
_ESAPI_CHAINS = (
    (("ESAPI", "accessController", "isAuthorizedToView"), READ),
    (("ESAPI", "accessController", "isAuthorizedToCreate"), CREATE),
    (("ESAPI", "accessController", "isAuthorizedToUpdate"), UPDATE),
    (("ESAPI", "accessController", "isAuthorizedToDelete"), DELETE),
)
_SCHEMA_PREFIX = ("Schema", "sObjectType")  # matched case-sensitively, as PMD does


@dataclass(frozen=True, slots=True)
class AuthPattern:
    """A configured authorization-method name pattern and where its SObjectType argument is."""

    operation: str
    regex: re.Pattern[str]
    type_index: int


@dataclass(frozen=True, slots=True)
class CheckFacts:
    """What one call proves: describe checks, ESAPI checks and custom authorization checks."""

    described: tuple[tuple[str, str], ...] = ()
    esapi: tuple[tuple[str, str], ...] = ()
    authorized: tuple[tuple[str, str], ...] = ()


_NO_FACTS = CheckFacts()


@dataclass
class CheckState:
    """PMD's maps of described operations, ESAPI checks and pattern-based checks."""

    described: dict[str, set[str]] = field(default_factory=dict)
    esapi: dict[str, str] = field(default_factory=dict)
    authorized: dict[str, set[str]] = field(default_factory=dict)

    def apply(self, facts: CheckFacts) -> None:
        """Record the checks one call proves."""
        for key, method in facts.described:
            self.described.setdefault(key, set()).add(method.lower())
        for key, operation in facts.esapi:
            self.esapi[key] = operation
        for key, operation in facts.authorized:
            self.authorized.setdefault(key, set()).add(operation)

    def is_missing(self, key: str, operation: str, *, user_mode_query: bool) -> bool:
        """PMD's validateCRUDCheckPresent: True when the operation is not covered."""
        described = self.described.get(key)
        if described is None:
            if self._esapi_covers(key, operation) or self._pattern_covers(key, operation):
                return False
            return not user_mode_query
        return operation != ANY and operation.lower() not in described

    def _esapi_covers(self, key: str, operation: str) -> bool:
        checked = self.esapi.get(key)
        return checked is not None and (operation == ANY or checked == operation)

    def _pattern_covers(self, key: str, operation: str) -> bool:
        checked = self.authorized.get(key)
        return checked is not None and (operation == ANY or operation in checked)


def auth_patterns(properties: dict[str, PropertyValue]) -> list[AuthPattern]:
    """The configured `<operation>AuthMethodPattern`s, compiled case-insensitively."""
    patterns = []
    for prefix, operation in AUTH_OPERATIONS.items():
        raw = str(properties.get(f"{prefix}AuthMethodPattern", "")).strip()
        if not raw:
            continue
        try:
            regex = re.compile(raw, re.IGNORECASE)
        except re.error as exc:
            raise InvalidRuleProperty(
                f"ApexCRUDViolation.{prefix}AuthMethodPattern is not a valid regex: {exc}"
            ) from exc
        index = int(properties.get(f"{prefix}AuthMethodTypeParamIndex", 0))
        patterns.append(AuthPattern(operation=operation, regex=regex, type_index=index))
    return patterns


class FactFinder:
    """The checks each call proves, computed once per call."""

    def __init__(self, scopes: SourceScopes, patterns: list[AuthPattern]) -> None:
        self.scopes = scopes
        self.source = scopes.source
        self.patterns = patterns
        self._facts: dict[tuple[int, int], CheckFacts] = {}

    def facts(self, node: Node) -> CheckFacts:
        """The checks a call proves (computed once per call)."""
        key = (node.start_byte, node.end_byte)
        facts = self._facts.get(key)
        if facts is None:
            facts = self._compute_facts(node) if self._may_prove(node) else _NO_FACTS
            self._facts[key] = facts
        return facts

    def _may_prove(self, node: Node) -> bool:
        """Cheap text test: describe and ESAPI checks always mention sObjectType or ESAPI."""
        if self.patterns:
            return True
        raw = self.source.data[node.start_byte : node.end_byte].lower()
        return b"sobjecttype" in raw or b"esapi" in raw

    def _compute_facts(self, node: Node) -> CheckFacts:
        view = self.scopes.call(node)
        if not view.reference.present:
            return _NO_FACTS
        defining_type = self.scopes.defining_type(node.start_byte)
        described: list[tuple[str, str]] = []
        esapi: list[tuple[str, str]] = []
        names = view.reference.names
        if names:
            checked_object = _schema_object(names)
            if checked_object is not None:
                described.append((f"{defining_type}:{checked_object}", view.name))
        else:
            esapi.extend(self._esapi_facts(node, defining_type))
            described_object = self._described_object(view.nested_call())
            if described_object is not None:
                described.append((f"{defining_type}:{described_object}", view.name))
        authorized = self._pattern_facts(node, defining_type)
        if not (described or esapi or authorized):
            return _NO_FACTS
        return CheckFacts(tuple(described), tuple(esapi), tuple(authorized))

    def _esapi_facts(self, node: Node, defining_type: str) -> list[tuple[str, str]]:
        facts: list[tuple[str, str]] = []
        view = self.scopes.call(node)
        if not view.name.lower().startswith("isauthorizedto"):
            return facts
        for chain, operation in _ESAPI_CHAINS:
            if not self.scopes.is_call_chain(node, chain):
                continue
            variable = next(
                (a for a in view.arguments if kind_of(self.source, a) == VARIABLE), None
            )
            if variable is None:
                continue
            names = variable_view(self.source, variable).reference.names
            if len(names) == 1:
                facts.append((f"{defining_type}:{names[0]}", operation))
        return facts

    def _described_object(self, nested: Node | None) -> str | None:
        """`X.sObjectType.getDescribe()` or `X.getSObjectType().getDescribe()` -> X."""
        if nested is None:
            return None
        describe = self.scopes.call(nested)
        if not describe.is_named("getDescribe"):
            return None
        names = describe.reference.names
        if names:
            return names[0] if names[-1].lower() == "sobjecttype" else None
        inner = describe.nested_call()
        if inner is None:
            return None
        type_call = self.scopes.call(inner)
        if type_call.is_named("getSObjectType") and type_call.reference.names:
            return type_call.reference.names[0]
        return None

    def _pattern_facts(self, node: Node, defining_type: str) -> list[tuple[str, str]]:
        facts = []
        view = self.scopes.call(node)
        for pattern in self.patterns:
            if not pattern.regex.fullmatch(view.full_name):
                continue
            if len(view.arguments) <= pattern.type_index:
                continue
            variables = [a for a in view.arguments if kind_of(self.source, a) == VARIABLE]
            if len(variables) <= pattern.type_index:
                continue
            candidate = variable_view(self.source, variables[pattern.type_index])
            reference = candidate.reference
            if candidate.image.lower() == "sobjecttype" and reference.names:
                facts.append((f"{defining_type}:{reference.names[0]}", pattern.operation))
        return facts

    def is_pattern_call(self, node: Node) -> bool:
        """True when a call's full name matches any configured authorization pattern."""
        if not self.patterns:
            return False
        full_name = self.scopes.call(node).full_name
        return any(pattern.regex.fullmatch(full_name) for pattern in self.patterns)


def _schema_object(names: tuple[str, ...]) -> str | None:
    """`Schema.sObjectType.Contact...` -> Contact (last occurrence, exact case like PMD)."""
    for index in range(len(names) - 2, -1, -1):
        if names[index : index + 2] == _SCHEMA_PREFIX:
            return names[index + 2] if index + 2 < len(names) else None
    return None
