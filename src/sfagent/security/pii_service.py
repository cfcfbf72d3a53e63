"""A tenant's PII policy, its token vault, and revealing tokenized values to staff.

The policy (per-type actions, the compliance profile, whether the tenant declared a BAA for
LLM use) lives on the organization. Tokenized values keep one stable token per value in a
tenant — a keyed hash, so the token says nothing about the value — and the original is
kept once, encrypted at rest, for staff holding `pii:reveal`. Without an encryption key
there is nowhere safe to keep originals, so tokenized types are redacted instead.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.db.encrypted import keyring_of
from sfagent.errors import ValidationFailed
from sfagent.security.audit import audit_change
from sfagent.security.audit_seal import seal_key_of
from sfagent.security.models import PiiToken
from sfagent.security.pii import ComplianceProfile, PiiMatch, PiiPolicy, PiiType, Protected, protect
from sfagent.tenancy.context import Tenant
from sfagent.tenancy.models import Organization

TOKEN_PATTERN = re.compile(r"\[(?P<type>[A-Z_]+):tok_(?P<digest>[0-9a-f]{16})\]")


@dataclass(frozen=True, slots=True)
class TenantPrivacy:
    """What the guard applies for one tenant."""

    policy: PiiPolicy
    llm_baa: bool = False

    @property
    def llm_allowed(self) -> bool:
        """HIPAA: no protected health information goes to an LLM without a BAA."""
        return self.policy.profile is not ComplianceProfile.HIPAA or self.llm_baa

    def to_dict(self) -> dict[str, Any]:
        return {**self.policy.to_dict(), "llm_baa": self.llm_baa, "llm_allowed": self.llm_allowed}


def privacy_of(organization: Organization) -> TenantPrivacy:
    stored = organization.pii_policy or {}
    policy = PiiPolicy.from_settings(stored.get("actions"), stored.get("profile"))
    return TenantPrivacy(policy=policy, llm_baa=bool(stored.get("llm_baa", False)))


def parse_privacy(actions: dict[str, str], profile: str, llm_baa: bool) -> TenantPrivacy:
    """A policy from an admin's request; 422 naming the bad type, action or profile."""
    try:
        policy = PiiPolicy.from_settings(actions, profile)
    except ValueError as error:
        field = "profile" if "compliance profile" in str(error) else "actions"
        raise ValidationFailed(field, str(error)) from None
    return TenantPrivacy(policy=policy, llm_baa=llm_baa)


async def load_privacy(session: AsyncSession, organization_id: str) -> TenantPrivacy:
    organization = await session.get(Organization, organization_id)
    return privacy_of(organization) if organization is not None else TenantPrivacy(PiiPolicy())


async def set_privacy(
    session: AsyncSession,
    tenant: Tenant,
    *,
    actions: dict[str, str],
    profile: str,
    llm_baa: bool,
) -> TenantPrivacy:
    privacy = parse_privacy(actions, profile, llm_baa)
    organization = await session.get(Organization, tenant.organization_id)
    assert organization is not None  # the tenant was authenticated against it
    organization.pii_policy = {
        "actions": {key.strip().lower(): value.strip().lower() for key, value in actions.items()},
        "profile": privacy.policy.profile.value,
        "llm_baa": llm_baa,
    }
    await audit_change(
        session,
        tenant,
        "security.pii_policy_changed",
        tenant.organization_id,
        {
            "profile": privacy.policy.profile.value,
            "actions": organization.pii_policy["actions"],
            "llm_baa": llm_baa,
        },
    )
    return privacy


@dataclass
class TokenVault:
    """Issues tokens while a text is protected; `save` stores the originals not yet kept."""

    session: AsyncSession
    organization_id: str
    pending: dict[str, tuple[PiiType, str]] = field(default_factory=dict)

    def token_for(self, match: PiiMatch) -> str:
        token = f"[{match.type.name}:tok_{self._digest(match)}]"
        self.pending.setdefault(token, (match.type, match.value))
        return token

    def _digest(self, match: PiiMatch) -> str:
        key = _token_key(self.session)
        message = f"{self.organization_id}|{match.type.value}|{match.value}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]

    async def save(self) -> None:
        if not self.pending:
            return
        known = set(
            (
                await self.session.execute(
                    select(PiiToken.token).where(
                        PiiToken.organization_id == self.organization_id,
                        PiiToken.token.in_(list(self.pending)),
                    )
                )
            ).scalars()
        )
        for token, (pii_type, value) in self.pending.items():
            if token not in known:
                self.session.add(
                    PiiToken(
                        organization_id=self.organization_id,
                        token=token,
                        pii_type=pii_type.value,
                        value=value,
                    )
                )
        self.pending.clear()
        await self.session.flush()


def _token_key(session: AsyncSession) -> bytes:
    seal_key = seal_key_of(session)
    assert seal_key is not None, "engines made by create_engine carry the key"
    return hmac.new(seal_key, b"sfagent pii tokens v1", hashlib.sha256).digest()


async def protect_text(
    session: AsyncSession, organization_id: str, text: str, privacy: TenantPrivacy | None = None
) -> Protected:
    """Apply the tenant's policy to text about to be stored; tokens' originals are kept."""
    privacy = privacy or await load_privacy(session, organization_id)
    if keyring_of(session.get_bind().dialect) is None:
        # Without encryption at rest the originals could only be kept in the clear: redact.
        return protect(text, privacy.policy)
    vault = TokenVault(session, organization_id)
    protected = protect(text, privacy.policy, vault.token_for)
    await vault.save()
    return protected


async def protect_document(session: AsyncSession, organization_id: str, document: Any) -> Any:
    """The same for every string inside a JSON document (a conversation's context)."""
    privacy = await load_privacy(session, organization_id)

    async def walk(value: Any) -> Any:
        if isinstance(value, str):
            return (await protect_text(session, organization_id, value, privacy)).text
        if isinstance(value, list):
            return [await walk(item) for item in value]
        if isinstance(value, dict):
            return {key: await walk(item) for key, item in value.items()}
        return value

    return await walk(document)


async def reveal(session: AsyncSession, tenant: Tenant, text: str, target: str) -> str:
    """The text with each token replaced by its original; the reveal is audited."""
    tokens = sorted({match.group(0) for match in TOKEN_PATTERN.finditer(text)})
    if not tokens:
        return text
    rows = await session.execute(
        select(PiiToken.token, PiiToken.value).where(
            PiiToken.organization_id == tenant.organization_id, PiiToken.token.in_(tokens)
        )
    )
    originals = {token: value for token, value in rows.all()}
    await audit_change(session, tenant, "pii.revealed", target, {"tokens": len(originals)})
    return TOKEN_PATTERN.sub(lambda match: originals.get(match.group(0), match.group(0)), text)
