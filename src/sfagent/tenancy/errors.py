"""Tenancy errors."""

from sfagent.errors import Conflict, NotFound


class OrganizationNotFound(NotFound):
    def __init__(self, reference: str) -> None:
        super().__init__(f"organization {reference!r} not found")


class ApiKeyNotFound(NotFound):
    def __init__(self, reference: str) -> None:
        super().__init__(f"API key {reference!r} not found")


class DuplicateOrganization(Conflict):
    def __init__(self, slug: str) -> None:
        super().__init__(f"an organization with slug {slug!r} already exists")


class DuplicateStaffUser(Conflict):
    def __init__(self, email: str) -> None:
        super().__init__(f"a staff user with email {email!r} already exists")
