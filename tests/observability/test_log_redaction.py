"""Logged strings are redacted: an error text quoting an email or a token is not written."""

from __future__ import annotations

import pytest
import structlog

from sfagent.observability.logging import configure_logging


def test_personal_data_and_secrets_in_log_fields_are_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(level="INFO", json=True)
    structlog.get_logger("test").error(
        "salesforce.login_failed",
        error="user jane@acme.example rejected; "
        "sid 00D5e000000AbCd!AQ4AQFzJvQ7mB2xk9Rr1nS8tUu3vWw4x",
        record_id="0015e00000AbCdEAAZ",
    )
    written = capsys.readouterr().err
    assert "jane@acme.example" not in written and "AQ4AQFzJvQ7mB2" not in written
    assert "[REDACTED:EMAIL]" in written and "[REDACTED:SESSION_ID]" in written
    assert "0015e00000AbCdEAAZ" in written  # what diagnosis needs stays
