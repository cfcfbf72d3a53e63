"""JWTs: end-user tokens signed with a tenant's secret, staff tokens signed by sfagent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from sfagent.errors import Unauthorized

ALGORITHM = "HS256"
STAFF_ISSUER = "sfagent"


def unverified_claims(token: str) -> dict[str, Any]:
    """Claims read without checking the signature: only to find which key verifies it."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise Unauthorized("malformed bearer token: not a JWT") from exc
    if not isinstance(claims, dict):
        raise Unauthorized("malformed bearer token: claims are not an object")
    return claims


def verify(token: str, *, secret: str, audience: str, issuer: str, leeway: int) -> dict[str, Any]:
    """Check signature, expiry, audience and issuer; raise Unauthorized naming what failed."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": ["exp", "sub", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("bearer token has expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise Unauthorized(f"bearer token audience is wrong: expected {audience!r}") from exc
    except jwt.InvalidIssuerError as exc:
        raise Unauthorized("bearer token issuer is wrong") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthorized(f"bearer token lacks the {exc.claim!r} claim") from exc
    except jwt.InvalidSignatureError as exc:
        raise Unauthorized("bearer token signature is invalid") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"bearer token is invalid: {exc}") from exc
    return claims


def issue(
    *,
    secret: str,
    subject: str,
    audience: str,
    issuer: str,
    ttl: timedelta,
    extra: dict[str, Any] | None = None,
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "aud": audience,
        "iss": issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        **(extra or {}),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
