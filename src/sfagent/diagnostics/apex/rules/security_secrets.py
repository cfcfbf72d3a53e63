"""Secrets rules: hard-coded crypto keys/IVs, and sensitive values or risky calls."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from sfagent.diagnostics.apex.dataflow import (
    CALL,
    VARIABLE,
    call_arguments,
    descendants_of_kind,
    first_of_kind,
    kind_of,
    text,
    variable_view,
)
from sfagent.diagnostics.apex.dataflow_classes import class_bindings, qualified_name
from sfagent.diagnostics.apex.dataflow_literals import literal_kind
from sfagent.diagnostics.apex.dataflow_scopes import SourceScopes, TypeScope, scopes_of
from sfagent.diagnostics.apex.rules.base import Rule, RuleContext
from sfagent.diagnostics.findings import Finding, Severity

_CRYPTO_METHODS = ("encrypt", "decrypt", "encryptwithmanagediv", "decryptwithmanagediv")
_SENSITIVE_NAME = re.compile(
    r"^.*?(pass|pwd|crypt|auth|session|token|saml)(?!id|user).*?$", re.IGNORECASE
)


def _calls_by_class(
    scopes: SourceScopes, names: tuple[str, ...], receiver: str
) -> dict[int, list[Node]]:
    """Calls `Receiver.name(...)`, grouped by their innermost class, in document order."""
    grouped: dict[int, list[Node]] = {}
    for name in names:
        for call in scopes.calls_by_name.get(name, []):
            if not scopes.call(call).is_static_call(receiver, name):
                continue
            index = scopes.type_index_at(call.start_byte)
            if index is not None:
                grouped.setdefault(index, []).append(call)
    for calls in grouped.values():
        calls.sort(key=lambda node: node.start_byte)
    return grouped


def _checked_class(scopes: SourceScopes, index: int) -> TypeScope | None:
    scope = scopes.types[index]
    return scope if scope.kind == "class" and not scope.is_test else None


class ApexBadCrypto(Rule):
    """Crypto.encrypt/decrypt with a key or IV written into the code (`Blob.valueOf('...')`)."""

    name = "ApexBadCrypto"
    category = "security"
    severity = Severity.HIGH
    why = (
        "A key or initialization vector fixed in the code is shared by every org and visible to "
        "anyone who can read the class; a constant IV also makes equal plaintexts produce "
        "equal ciphertexts, so the encryption can be broken or bypassed."
    )
    fix = (
        "Generate keys with `Crypto.generateAesKey(256)` and keep them in protected custom "
        "metadata or settings; let Salesforce pick a random IV with "
        "`Crypto.encryptWithManagedIV(...)`."
    )

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report hard-coded IVs and keys passed to Crypto methods."""
        scopes = scopes_of(context.source)
        grouped = _calls_by_class(scopes, _CRYPTO_METHODS, "Crypto")
        for index, calls in sorted(grouped.items()):
            scope = _checked_class(scopes, index)
            if scope is None:
                continue
            constant_blobs = self._constant_blobs(scopes, scope)
            for call in calls:
                for role, node in self._hard_coded(scopes, call, constant_blobs):
                    yield self._finding(context, scopes, call, role, node)

    @staticmethod
    def _constant_blobs(scopes: SourceScopes, scope: TypeScope) -> set[str]:
        """Variables initialised with `Blob.valueOf(...)` (PMD's potentiallyStaticBlob)."""
        blobs: set[str] = set()
        for binding in class_bindings(scopes, scope):
            if binding.kind == "assign" or binding.value is None:
                continue
            call = first_of_kind(scopes.source, binding.children(), CALL)
            if call is None or not scopes.call(call).is_static_call("Blob", "valueOf"):
                continue
            variable = binding.first_variable(scopes)
            if variable is not None:
                blobs.add(qualified_name(scopes, binding, variable))
        return blobs

    @staticmethod
    def _hard_coded(
        scopes: SourceScopes, call: Node, constant_blobs: set[str]
    ) -> Iterator[tuple[str, Node]]:
        arguments = call_arguments(call)
        candidates: list[tuple[str, Node]]
        if len(arguments) == 4:  # encrypt(algorithm, key, iv, data)
            candidates = [("initialization vector", arguments[2]), ("key", arguments[1])]
        elif len(arguments) == 3:  # encryptWithManagedIV(algorithm, key, data)
            candidates = [("key", arguments[1])]
        else:
            return
        source = scopes.source
        for role, argument in candidates:
            kind = kind_of(source, argument)
            if kind == CALL:
                inner = call_arguments(argument)
                if inner and literal_kind(source, inner[0]) == "string":
                    yield role, inner[0]
            elif kind == VARIABLE and scopes.variable_name(argument) in constant_blobs:
                yield role, argument

    def _finding(
        self, context: RuleContext, scopes: SourceScopes, call: Node, role: str, node: Node
    ) -> Finding:
        method = f"Crypto.{scopes.call(call).name}"
        shown = " ".join(text(context.source, node).split())
        if node.type == "string_literal":
            constant = f"is the constant {shown}"
        else:
            constant = f"`{shown}` is set from a constant `Blob.valueOf(...)`"
        fix = (
            "Let Salesforce generate a random IV per message: call "
            f"`Crypto.encryptWithManagedIV(...)` instead of `{method}` with a fixed IV."
            if role == "initialization vector"
            else "Generate the key once with `Crypto.generateAesKey(256)` and load it from a "
            "protected custom setting or custom metadata type instead of the code."
        )
        return self.report(
            context,
            node,
            f"The {role} passed to {method} is hard-coded: {constant}",
            fix=fix,
            details={"method": method, "argument": role},
        )


class ApexDangerousMethods(Rule):
    """Calls that weaken security: disabling CRUD checks, or logging secrets with System.debug."""

    name = "ApexDangerousMethods"
    category = "security"
    severity = Severity.HIGH
    why = (
        "Debug logs are readable by administrators and anyone granted log access, and they "
        "are kept for days; a password, token or session id written there is exposed."
    )
    fix = "Do not log secrets: log that the value exists, not the value itself."

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report Configuration.disableTriggerCRUDSecurity() and debug logging of secrets."""
        scopes = scopes_of(context.source)
        disables = _calls_by_class(scopes, ("disabletriggercrudsecurity",), "Configuration")
        debugs = _calls_by_class(scopes, ("debug",), "System")
        for index in sorted(set(disables) | set(debugs)):
            scope = _checked_class(scopes, index)
            if scope is None:
                continue
            calls = sorted(
                disables.get(index, []) + debugs.get(index, []), key=lambda n: n.start_byte
            )
            booleans: set[str] | None = None
            for call in calls:
                if scopes.call(call).is_named("disableTriggerCRUDSecurity"):
                    yield self._disable_finding(context, call)
                    continue
                if booleans is None:
                    booleans = self._boolean_variables(scopes, scope)
                for variable in self._sensitive_variables(scopes, call, booleans):
                    yield self._debug_finding(context, call, variable)

    @staticmethod
    def _boolean_variables(scopes: SourceScopes, scope: TypeScope) -> set[str]:
        """Boolean fields, properties and locals: logging a flag like `isAuthenticated` is fine."""
        source = scopes.source
        names: set[str] = set()
        for binding in class_bindings(scopes, scope):
            is_boolean = binding.declared_type.lower() == "boolean"
            if binding.kind != "assign" and is_boolean and binding.name is not None:
                names.add(f"{scope.qualified_name}:{text(source, binding.name)}")
        for declaration in scopes.within("field_declaration", scope.start, scope.end):
            if scopes.type_at(declaration.start_byte) is not scope:
                continue
            if not any(child.type == "accessor_list" for child in declaration.named_children):
                continue
            declared = declaration.child_by_field_name("type")
            if declared is None or text(source, declared).strip().lower() != "boolean":
                continue
            for declarator in declaration.named_children:
                name = declarator.child_by_field_name("name")
                if declarator.type == "variable_declarator" and name is not None:
                    names.add(f"{scope.qualified_name}:{text(source, name)}")
        return names

    @staticmethod
    def _sensitive_variables(
        scopes: SourceScopes, call: Node, booleans: set[str]
    ) -> Iterator[Node]:
        source = scopes.source
        for variable in descendants_of_kind(source, call, VARIABLE):
            image = variable_view(source, variable).image
            if _SENSITIVE_NAME.match(image) and scopes.variable_name(variable) not in booleans:
                yield variable

    def _disable_finding(self, context: RuleContext, call: Node) -> Finding:
        return self.report(
            context,
            call,
            "Configuration.disableTriggerCRUDSecurity() turns off the package's CRUD/FLS checks",
            why=(
                "With trigger CRUD security disabled, the domain layer's triggers stop "
                "enforcing object permissions, so users can change records their profile "
                "does not allow."
            ),
            fix=(
                "Remove the call; if a process needs elevated access, grant it through a "
                "permission set and keep the checks on for everyone else."
            ),
            details={"method": "Configuration.disableTriggerCRUDSecurity"},
        )

    def _debug_finding(self, context: RuleContext, call: Node, variable: Node) -> Finding:
        shown = " ".join(text(context.source, variable).split())
        return self.report(
            context,
            call,
            f"System.debug writes `{shown}`, which looks like a secret, to the debug log",
            fix=(
                f"Remove `{shown}` from the log statement, or log only whether it is set "
                f"(`String.isNotBlank({shown})`)."
            ),
            details={"variable": shown},
        )
