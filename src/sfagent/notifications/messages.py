"""What a notification says, in each channel's format. No I/O here.

Webhooks carry a JSON body signed with HMAC-SHA256 over "<timestamp>.<body>" (the receiver
recomputes it with the shared secret and rejects a stale timestamp, so a captured request
cannot be replayed later); Slack gets the incoming-webhook `text` + `blocks` format; email a
plain-text message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from typing import Any

from sfagent.escalation.policy import describe_wait

SIGNATURE_HEADER = "X-Sfagent-Signature"
TIMESTAMP_HEADER = "X-Sfagent-Timestamp"
EVENT_HEADER = "X-Sfagent-Event"
SIGNATURE_SCHEME = "sha256"
# Slack shows at most this much of a section's text.
SLACK_TEXT_LIMIT = 3000


@dataclass(frozen=True, slots=True)
class NotificationEvent:
    """Something people should know about: an escalation, a rule that asked to notify."""

    kind: str  # "escalation" | "rule" | "test"
    organization_id: str
    title: str
    reason: str | None = None
    conversation_id: str | None = None
    priority: str | None = None
    queue: str | None = None
    sla_seconds: int | None = None
    rules: list[str] = field(default_factory=list)
    occurred_at: str = ""  # ISO 8601, set by whoever raises the event

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NotificationEvent:
        names = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in data.items() if key in names})

    def lines(self) -> list[str]:
        """The facts a person needs, one per line, the absent ones left out."""
        facts = [
            ("Reason", self.reason),
            ("Conversation", self.conversation_id),
            ("Priority", self.priority),
            ("Queue", self.queue),
            ("Respond within", describe_wait(self.sla_seconds) if self.sla_seconds else None),
            ("Rules", ", ".join(self.rules) if self.rules else None),
            ("At", self.occurred_at or None),
        ]
        return [f"{label}: {value}" for label, value in facts if value]


def webhook_body(event: NotificationEvent) -> bytes:
    """The JSON a webhook receives: compact and with sorted keys, so the bytes are stable."""
    document = {"type": f"sfagent.{event.kind}", "data": event.to_json()}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for a body sent at `timestamp` (Unix seconds)."""
    payload = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_SCHEME}={digest}"


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    """What a receiver runs (constant-time comparison)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def slack_body(event: NotificationEvent) -> dict[str, Any]:
    """An incoming-webhook message: `text` for notifications, `blocks` for the channel."""
    details = "\n".join(event.lines())[:SLACK_TEXT_LIMIT]
    return {
        "text": event.title,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": event.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": details or event.title}},
        ],
    }


def email_message(event: NotificationEvent, *, sender: str, recipients: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[sfagent] {event.title}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message.set_content("\n".join([event.title, "", *event.lines()]) + "\n")
    return message
