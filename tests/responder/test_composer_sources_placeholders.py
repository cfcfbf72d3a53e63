"""Unfilled template placeholders never reach a customer."""

from __future__ import annotations

from sfagent.knowledge import Article
from sfagent.responder.composer_sources import read_article, without_placeholders

BODY = """# Invoices (policy template)

## Problem

A customer cannot find an invoice from {{COMPANY}}.

## Cause

Invoices are issued {{INVOICE_FREQUENCY}}. Corrections go through billing.

## Steps

1. Sign in to {{BILLING_PORTAL_URL}} and open **Billing > Invoices**.
2. Disputes must be raised within {{DISPUTE_WINDOW_DAYS}} days.
3. Contracted customers ask the account manager ({{SALES_EMAIL}}); the portal may not show them.

## How to verify

- The invoice downloads from {{BILLING_PORTAL_URL}}.
- The customer is refunded within {{REFUND_PROCESSING_DAYS}} days.
"""


def test_contacts_read_neutrally_and_unfilled_figures_are_left_out() -> None:
    parts = read_article(
        Article(id="template-invoices", title="Invoices", body=BODY, category="billing_account")
    )
    text = " ".join([*parts.problem, *parts.cause, *(s.text for s in parts.steps), *parts.checks])
    assert "{{" not in text
    assert parts.problem == ("A customer cannot find an invoice from our company.",)
    assert parts.cause == ("Corrections go through billing.",)
    assert [step.text for step in parts.steps] == [
        "Sign in to the billing portal and open **Billing > Invoices**.",
        "Contracted customers ask the account manager; the portal may not show them.",
    ]
    assert parts.checks == ("The invoice downloads from the billing portal.",)


def test_text_without_placeholders_is_unchanged() -> None:
    text = "Open Setup. Then click Save (twice if needed)."
    assert without_placeholders(text) == text
    assert without_placeholders("Email {{BILLING_EMAIL}}. Wait {{SLA_DAYS}} days.") == (
        "Email our billing team."
    )
