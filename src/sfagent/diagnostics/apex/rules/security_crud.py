"""ApexCRUDViolation: queries and DML that ignore the running user's object permissions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from sfagent.diagnostics.apex.rules.base import PropertyValue, Rule, RuleContext
from sfagent.diagnostics.apex.rules.security_crud_checks import (
    ANY,
    AUTH_OPERATIONS,
    CREATE,
    DELETE,
    MERGE,
    UNDELETE,
    UPDATE,
)
from sfagent.diagnostics.apex.rules.security_crud_walk import CrudViolation, crud_violations
from sfagent.diagnostics.findings import Finding, Severity

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# permission check -> (verb, permission noun, AccessType for stripInaccessible or None)
_OPERATIONS = {
    CREATE: ("create", "create", "CREATABLE"),
    UPDATE: ("update", "edit", "UPDATABLE"),
    DELETE: ("delete", "delete", None),
    UNDELETE: ("undelete", "undelete", None),
    MERGE: ("merge", "merge", None),
}
_USER_MODE_DATABASE_METHODS = frozenset(
    {"insert", "update", "upsert", "delete", "undelete", "merge"}
)


def _auth_properties() -> dict[str, PropertyValue]:
    properties: dict[str, PropertyValue] = {}
    for operation in AUTH_OPERATIONS:
        properties[f"{operation}AuthMethodPattern"] = ""
        properties[f"{operation}AuthMethodTypeParamIndex"] = 0
    return properties


class ApexCRUDViolation(Rule):
    """SOQL and DML without an object-permission check, user mode or security enforcement."""

    name = "ApexCRUDViolation"
    category = "security"
    severity = Severity.HIGH
    why = (
        "Apex runs in system mode unless told otherwise, so it reads and writes records the "
        "running user's profile and permission sets do not allow: data leaks to users who "
        "could not see it in Salesforce, and users change records they have no right to change."
    )
    fix = (
        "Run the operation in user mode (`WITH USER_MODE` in the query, `insert as user ...`, "
        "or `AccessLevel.USER_MODE` on Database methods), or check "
        "`Schema.sObjectType.<Object>.isAccessible()`/`isCreateable()`/... first."
    )
    properties: ClassVar[dict[str, PropertyValue]] = _auth_properties()

    def check(self, context: RuleContext) -> Iterator[Finding]:
        """Report each query or DML operation PMD finds without a permission check."""
        for violation in crud_violations(context):
            if violation.operation == ANY:
                yield self._read_finding(context, violation)
            else:
                yield self._write_finding(context, violation)

    def _read_finding(self, context: RuleContext, violation: CrudViolation) -> Finding:
        label = _object_label(violation.object_type)
        shown = label or "the queried object"
        check = f"Schema.sObjectType.{label}.isAccessible()" if label else "isAccessible()"
        return self.report(
            context,
            violation.node,
            f"Query on {shown} runs without checking that the user may read it "
            "(no isAccessible() check, WITH USER_MODE or WITH SECURITY_ENFORCED)",
            why=(
                f"In system mode this query returns {shown} records and fields the running "
                "user's profile may hide, so whatever displays or returns the result exposes "
                "data the user could not open in Salesforce."
            ),
            fix=(
                f"Add `WITH USER_MODE` to the query (`[SELECT ... FROM {label or 'Object'} "
                f"... WITH USER_MODE]`), or skip the query unless `{check}` is true."
            ),
            details={"object": label, "operation": "read"},
        )

    def _write_finding(self, context: RuleContext, violation: CrudViolation) -> Finding:
        verb, permission, access_type = _OPERATIONS[violation.operation]
        label = _object_label(violation.object_type)
        shown = f"{label} records" if label else "records"
        statement = violation.statement
        target = violation.target or "records"
        written = f"`{statement}({target})`" if "." in statement else f"`{statement} {target}`"
        return self.report(
            context,
            violation.node,
            f"{written} {verb}s {shown} without checking the user's {permission} permission",
            why=(
                f"DML in system mode ignores object and field permissions, so a user who may "
                f"not {permission} {shown} can still {verb} them through this code "
                "(privilege escalation)."
            ),
            fix=_write_fix(violation, label, target, access_type),
            details={"object": label, "operation": verb, "statement": statement},
        )


def _write_fix(violation: CrudViolation, label: str, target: str, access_type: str | None) -> str:
    check = f"Schema.sObjectType.{label or '<Object>'}.{violation.operation}()"
    guard = f"guard it with `if ({check}) {{ ... }}`"
    if access_type is not None:
        if violation.statement.lower().endswith("upsert"):
            access_type = "UPSERTABLE"
        guard += (
            " and write `Security.stripInaccessible(AccessType."
            f"{access_type}, records).getRecords()` so fields the user cannot set are removed"
        )
    statement = violation.statement
    if "." not in statement:
        return f"Run it in user mode (`{statement} as user {target};`), or {guard}."
    method = statement.split(".", 1)[1]
    if method.lower() in _USER_MODE_DATABASE_METHODS:
        return (
            f"Pass `AccessLevel.USER_MODE` (`{statement}({target}, AccessLevel.USER_MODE)`), "
            f"or {guard}."
        )
    return f"Check the permission first: {guard}."


def _object_label(object_type: str) -> str:
    """A clean SObject name for messages: `List<Contact>`, `Contact[]` -> `Contact`."""
    name = object_type.strip()
    if "<" in name and name.endswith(">"):
        name = name[name.index("<") + 1 : -1].split(",")[-1].strip()
    name = name.removesuffix("[]").removeprefix("Schema.")
    return name if _IDENTIFIER.match(name) else ""
