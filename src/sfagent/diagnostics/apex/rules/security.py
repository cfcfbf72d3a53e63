"""Security rules (PMD category security, plus ApexCSRF which PMD files under errorprone)."""

from __future__ import annotations

from sfagent.diagnostics.apex.rules.base import Rule
from sfagent.diagnostics.apex.rules.security_callouts import (
    ApexInsecureEndpoint,
    ApexSuggestUsingNamedCred,
)
from sfagent.diagnostics.apex.rules.security_crud import ApexCRUDViolation
from sfagent.diagnostics.apex.rules.security_injection import ApexSOQLInjection
from sfagent.diagnostics.apex.rules.security_redirect import ApexOpenRedirect
from sfagent.diagnostics.apex.rules.security_secrets import ApexBadCrypto, ApexDangerousMethods
from sfagent.diagnostics.apex.rules.security_sharing import ApexCSRF, ApexSharingViolations
from sfagent.diagnostics.apex.rules.security_xss import ApexXSSFromEscapeFalse, ApexXSSFromURLParam

RULES: tuple[type[Rule], ...] = (
    ApexCRUDViolation,
    ApexSharingViolations,
    ApexSOQLInjection,
    ApexXSSFromURLParam,
    ApexXSSFromEscapeFalse,
    ApexOpenRedirect,
    ApexInsecureEndpoint,
    ApexSuggestUsingNamedCred,
    ApexBadCrypto,
    ApexDangerousMethods,
    ApexCSRF,
)
