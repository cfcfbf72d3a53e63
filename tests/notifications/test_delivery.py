"""Delivering notifications: signed webhooks, Slack and email against local receivers that
speak HTTP and SMTP, and the sorting of failures into retry-later and never."""

from __future__ import annotations

import json
import socket

import pytest

from sfagent.config import Settings
from sfagent.notifications import messages
from sfagent.notifications.delivery import (
    DeliveryDeferred,
    DeliveryFailed,
    Destination,
    deliver,
)
from sfagent.notifications.messages import NotificationEvent
from tests.notifications.receivers import http_receiver, smtp_server

SECRET = "whsec-0123456789abcdef"
EVENT = NotificationEvent(
    kind="escalation",
    organization_id="org-1",
    title="Conversation 1a2b needs a person",
    reason="refunds are decided by our billing team",
    conversation_id="1a2b-3c4d",
    priority="high",
    queue="billing",
    sla_seconds=900,
    rules=["RULE-ESC-001"],
    occurred_at="2026-12-07T05:00:00+00:00",
)


def settings(**values: object) -> Settings:
    # The local receivers listen on 127.0.0.1, which production settings refuse.
    base: dict[str, object] = {"notification_timeout_seconds": 5.0}
    base["notification_private_targets"] = True
    return Settings(**{**base, **values})  # type: ignore[arg-type]


async def test_webhook_is_signed_and_verifiable() -> None:
    async with http_receiver() as receiver:
        await deliver(Destination("webhook", receiver.url, SECRET), EVENT, settings())
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/hooks/sfagent"
    assert request.headers["x-sfagent-event"] == "escalation"
    timestamp = int(request.headers["x-sfagent-timestamp"])
    signature = request.headers["x-sfagent-signature"]
    assert messages.verify(SECRET, timestamp, request.body, signature)
    assert not messages.verify("another-secret-value", timestamp, request.body, signature)
    assert not messages.verify(SECRET, timestamp + 1, request.body, signature)
    document = json.loads(request.body)
    assert document["type"] == "sfagent.escalation"
    assert document["data"]["queue"] == "billing" and document["data"]["sla_seconds"] == 900


async def test_a_webhook_without_secret_is_sent_unsigned() -> None:
    async with http_receiver() as receiver:
        await deliver(Destination("webhook", receiver.url), EVENT, settings())
    assert "x-sfagent-signature" not in receiver.requests[0].headers


async def test_slack_gets_the_incoming_webhook_format() -> None:
    async with http_receiver() as receiver:
        await deliver(Destination("slack", receiver.url), EVENT, settings())
    body = json.loads(receiver.requests[0].body)
    assert body["text"] == EVENT.title
    section = body["blocks"][1]["text"]["text"]
    assert "Priority: high" in section and "Respond within: 15 minutes" in section


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, DeliveryDeferred),
        (503, DeliveryDeferred),
        (429, DeliveryDeferred),
        (400, DeliveryFailed),
        (404, DeliveryFailed),
        (410, DeliveryFailed),
    ],
)
async def test_receiver_errors_are_sorted(status: int, error: type[Exception]) -> None:
    async with http_receiver(status=status) as receiver:
        with pytest.raises(error, match=str(status)):
            await deliver(Destination("webhook", receiver.url, SECRET), EVENT, settings())


async def test_an_unreachable_receiver_is_retried_later() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed when the block ends: nothing listens
    with pytest.raises(DeliveryDeferred, match="unreachable"):
        await deliver(Destination("webhook", f"http://127.0.0.1:{port}/x"), EVENT, settings())


async def test_email_reaches_an_smtp_server() -> None:
    async with smtp_server() as (recorder, port):
        config = settings(
            smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, smtp_sender="bot@sf.example"
        )
        await deliver(Destination("email", "lead@acme.example, ops@acme.example"), EVENT, config)
    [message] = recorder.messages
    assert message["Subject"] == "[sfagent] Conversation 1a2b needs a person"
    assert recorder.envelopes[0] == ("bot@sf.example", ["lead@acme.example", "ops@acme.example"])
    assert "Queue: billing" in message.get_payload()


async def test_a_refused_mailbox_is_not_retried() -> None:
    async with smtp_server() as (_, port):
        config = settings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
        with pytest.raises(DeliveryFailed, match="refused"):
            await deliver(Destination("email", "nobody@refused.example"), EVENT, config)


async def test_email_without_a_mail_server_says_what_to_set() -> None:
    with pytest.raises(DeliveryFailed, match="SFAGENT_SMTP_HOST"):
        await deliver(Destination("email", "lead@acme.example"), EVENT, settings())


def test_event_round_trips_and_ignores_unknown_keys() -> None:
    data = {**EVENT.to_json(), "added_later": 1}
    assert NotificationEvent.from_json(data) == EVENT


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/x",
        "http://[::1]/x",
        "http://localhost/x",
    ],
)
async def test_private_network_targets_are_refused_by_default(url: str) -> None:
    with pytest.raises(DeliveryFailed, match="private network address"):
        await deliver(
            Destination("webhook", url), EVENT, settings(notification_private_targets=False)
        )
