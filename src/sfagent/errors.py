"""The root error every domain error derives from; one handler renders them all."""

from __future__ import annotations

from typing import Any


class SfagentError(Exception):
    """An error with an HTTP meaning and a message that tells the caller what to fix."""

    status_code: int = 400

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.details: dict[str, Any] = details or {}
        self.headers: dict[str, str] = headers or {}


class ConfigurationError(SfagentError):
    status_code = 500


class NotFound(SfagentError):
    status_code = 404


class Conflict(SfagentError):
    status_code = 409


class Unauthorized(SfagentError):
    status_code = 401

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="sfagent", ApiKey'})
        super().__init__(message, **kwargs)


class CredentialRejected(Unauthorized):
    """A credential that names a real key or account failed: worth an audit entry in the
    organization it belongs to (an unknown one has no organization to tell)."""

    def __init__(self, message: str, *, organization_id: str, actor: str) -> None:
        super().__init__(message)
        self.organization_id = organization_id
        self.actor = actor


class Forbidden(SfagentError):
    status_code = 403


class ValidationFailed(SfagentError):
    """A value that passed the schema but breaks a tenant rule (422, naming the field)."""

    status_code = 422

    def __init__(self, field: str, message: str, **kwargs: Any) -> None:
        details = {"errors": [{"field": field, "message": message}]}
        super().__init__(f"{field}: {message}", details=details, **kwargs)


class RateLimited(SfagentError):
    status_code = 429


class ServiceUnavailable(SfagentError):
    status_code = 503
