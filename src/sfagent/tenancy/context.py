"""The Tenant context every service receives: who is calling, for which organization."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sfagent.config import TierLimits
from sfagent.tenancy.models import StaffRole


class Scope(enum.StrEnum):
    CONVERSATIONS_READ = "conversations:read"
    CONVERSATIONS_WRITE = "conversations:write"
    KEYS_MANAGE = "keys:manage"
    TENANT_READ = "tenant:read"
    DIAGNOSTICS_RUN = "diagnostics:run"
    KB_READ = "kb:read"
    KB_WRITE = "kb:write"
    RULES_READ = "rules:read"
    RULES_WRITE = "rules:write"
    NOTIFICATIONS_READ = "notifications:read"
    NOTIFICATIONS_WRITE = "notifications:write"
    ESCALATIONS_READ = "escalations:read"
    ESCALATIONS_WRITE = "escalations:write"
    INTEGRATIONS_READ = "integrations:read"
    INTEGRATIONS_WRITE = "integrations:write"
    AUDIT_READ = "audit:read"
    # GDPR/CCPA: export and erase an end user's data, run the retention purge.
    PRIVACY_MANAGE = "privacy:manage"
    # See the original of a value the guard tokenized (an email, a phone number).
    PII_REVEAL = "pii:reveal"
    # The tenant's PII policy and compliance profile.
    SECURITY_WRITE = "security:write"


class PrincipalKind(enum.StrEnum):
    API_KEY = "api_key"
    END_USER = "end_user"
    STAFF = "staff"


DEFAULT_API_KEY_SCOPES: tuple[Scope, ...] = (
    Scope.CONVERSATIONS_READ,
    Scope.CONVERSATIONS_WRITE,
    Scope.TENANT_READ,
    Scope.DIAGNOSTICS_RUN,
    Scope.KB_READ,
)
END_USER_SCOPES = frozenset({Scope.CONVERSATIONS_READ, Scope.CONVERSATIONS_WRITE})
ROLE_SCOPES: dict[StaffRole, frozenset[Scope]] = {
    StaffRole.OWNER: frozenset(Scope),
    StaffRole.ADMIN: frozenset(Scope),
    StaffRole.AGENT: frozenset(
        {
            Scope.CONVERSATIONS_READ,
            Scope.CONVERSATIONS_WRITE,
            Scope.TENANT_READ,
            Scope.DIAGNOSTICS_RUN,
            Scope.KB_READ,
            Scope.RULES_READ,
            Scope.NOTIFICATIONS_READ,
            Scope.ESCALATIONS_READ,
            Scope.ESCALATIONS_WRITE,
        }
    ),
    StaffRole.VIEWER: frozenset(
        {
            Scope.CONVERSATIONS_READ,
            Scope.TENANT_READ,
            Scope.KB_READ,
            Scope.RULES_READ,
            Scope.NOTIFICATIONS_READ,
            Scope.ESCALATIONS_READ,
        }
    ),
}


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    id: str
    scopes: frozenset[str]
    # For end users: their id in the tenant's system (the JWT subject).
    external_user_id: str | None = None
    role: StaffRole | None = None
    # Per-credential rate limit, tighter than the tenant's, when one was set.
    requests_per_minute: int | None = None

    @property
    def label(self) -> str:
        """How the principal appears in audit entries and lifecycle events."""
        return f"{self.kind.value}:{self.id}"


@dataclass(frozen=True, slots=True)
class Tenant:
    organization_id: str
    slug: str
    tier: str
    limits: TierLimits
    principal: Principal

    @property
    def is_end_user(self) -> bool:
        return self.principal.kind is PrincipalKind.END_USER
