"""The permission matrix, read from the live app: which scope each route demands, who has it.

Every route states its guard through a dependency (`require(Scope.X)`, usually via an
`Annotated` alias such as `KnowledgeWrite`); a route with none is public by construction.
This module walks each route's dependency tree to find those guards, so the matrix (and the
table in docs/PERMISSIONS.md) can never drift from what the app enforces.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from starlette.routing import Mount, Route

from sfagent.tenancy.context import END_USER_SCOPES, ROLE_SCOPES, Scope
from sfagent.tenancy.dependencies import authenticate, require
from sfagent.tenancy.models import StaffRole

WEBSOCKET = "WS"
END_USER = "end_user"
ROLES: tuple[str, ...] = (*(role.value for role in StaffRole), END_USER)

# Routes whose guard is checked inside the handler, not declared as a dependency. A
# WebSocket is accepted before it is checked (a browser can read a close code and reason
# but not a refused handshake's status), so its handler authenticates and checks the
# scope itself; tests/security/test_rbac.py proves each entry by connecting as every role.
HANDLER_GUARDS: dict[tuple[str, str], Scope] = {
    (WEBSOCKET, "/api/v1/conversations/{conversation_id}/live"): Scope.CONVERSATIONS_READ,
}


@dataclass(frozen=True, slots=True)
class RouteRule:
    """One method on one path and what it takes to call it."""

    method: str
    path: str
    # The one scope the route demands; None when public, or when it demands none or several.
    scope: str | None
    public: bool
    # Every scope its guards demand, in declaration order (normally exactly one).
    scopes: tuple[str, ...] = ()
    # True when the guard is checked in the handler (see HANDLER_GUARDS).
    in_handler: bool = False

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def role_scopes(role: str) -> frozenset[str]:
    """The scopes a staff role (owner, admin, agent, viewer) or an end user holds."""
    if role == END_USER:
        return frozenset(scope.value for scope in END_USER_SCOPES)
    return frozenset(scope.value for scope in ROLE_SCOPES[StaffRole(role)])


def route_scopes(app: FastAPI) -> list[RouteRule]:
    """One rule per method of every HTTP and WebSocket route (static mounts left out)."""
    rules: list[RouteRule] = []
    for route in _routes(app):
        original = getattr(route, "original_route", route)
        path = getattr(route, "path", None)
        if isinstance(original, Mount) or not isinstance(path, str):
            continue
        if isinstance(original, routing.APIWebSocketRoute):
            methods = [WEBSOCKET]
        elif isinstance(original, Route):
            methods = _methods(getattr(route, "methods", None))
        else:
            continue
        dependant: Dependant | None = getattr(route, "dependant", None)
        scopes, authenticated = _guards(dependant) if dependant else ((), False)
        for method in methods:
            handler_scope = HANDLER_GUARDS.get((method, path))
            rule_scopes = (*scopes, handler_scope.value) if handler_scope else scopes
            rules.append(
                RouteRule(
                    method=method,
                    path=path,
                    scope=rule_scopes[0] if len(rule_scopes) == 1 else None,
                    public=not (authenticated or rule_scopes),
                    scopes=rule_scopes,
                    in_handler=handler_scope is not None,
                )
            )
    return rules


def allowed(rule: RouteRule, role: str) -> bool:
    """Whether the role's credentials get past the route's guard."""
    return rule.public or set(rule.scopes) <= role_scopes(role)


def matrix(app: FastAPI) -> dict[tuple[str, str], dict[str, bool]]:
    """(method, path) -> {role: may call it} for owner, admin, agent, viewer and end_user."""
    return {
        (rule.method, rule.path): {role: allowed(rule, role) for role in ROLES}
        for rule in route_scopes(app)
    }


def markdown_table(app: FastAPI, *, prefix: str = "/api/") -> str:
    """The matrix as a Markdown table, one row per route under `prefix`."""
    header = ["Method", "Path", "Scope", *ROLES]
    lines = [_row(header), _row(["---"] * 2 + [":---"] + [":---:"] * len(ROLES))]
    rules = [rule for rule in route_scopes(app) if rule.path.startswith(prefix)]
    for rule in sorted(rules, key=lambda rule: (rule.path, _method_order(rule.method))):
        if rule.public:
            needs = "public"
        elif rule.scopes:
            needs = " + ".join(f"`{scope}`" for scope in rule.scopes)
        else:
            needs = "any credential"
        if rule.in_handler:
            needs += " (checked in the handler)"
        marks = ["✅" if allowed(rule, role) else "—" for role in ROLES]
        lines.append(_row([rule.method, f"`{rule.path}`", needs, *marks]))
    return "\n".join(lines) + "\n"


def _routes(app: FastAPI) -> Iterator[Any]:
    """The app's effective routes; newer FastAPI keeps included routers as one entry each."""
    expand: Callable[[Iterable[Any]], Iterator[Any]] | None = getattr(
        routing, "iter_route_contexts", None
    )
    return expand(app.routes) if expand is not None else iter(app.routes)


def _methods(methods: Iterable[str] | None) -> list[str]:
    found = set(methods or ())
    if "GET" in found:
        found.discard("HEAD")  # Starlette answers HEAD wherever it answers GET
    return sorted(found, key=_method_order)


def _method_order(method: str) -> tuple[int, str]:
    order = ["GET", "POST", "PUT", "PATCH", "DELETE", WEBSOCKET]
    return (order.index(method) if method in order else len(order), method)


def _guards(dependant: Dependant) -> tuple[tuple[str, ...], bool]:
    """The scopes `require(...)` dependencies demand anywhere in the tree, and whether
    anything in it authenticates the caller."""
    scopes: list[str] = []
    authenticated = False
    pending = list(dependant.dependencies)
    while pending:
        current = pending.pop(0)
        if current.call is authenticate:
            authenticated = True
        scope = _required_scope(current.call)
        if scope is not None and scope not in scopes:
            scopes.append(scope)
        pending.extend(current.dependencies)
    return tuple(scopes), authenticated


def _required_scope(call: Callable[..., Any] | None) -> str | None:
    """The scope a dependency made by `require(scope)` checks, read from its closure."""
    if call is None or getattr(call, "__module__", None) != require.__module__:
        return None
    if not getattr(call, "__qualname__", "").startswith(f"{require.__qualname__}.<locals>."):
        return None
    scope = inspect.getclosurevars(call).nonlocals.get("scope")
    if not isinstance(scope, Scope):
        raise TypeError(
            f"{call.__qualname__} no longer closes over a Scope named 'scope': "
            "update sfagent.security.permissions to match require()"
        )
    return scope.value


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
