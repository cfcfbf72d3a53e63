"""Replies to greetings, thanks and goodbyes: fixed, friendly, and stating no facts."""

from __future__ import annotations

SMALL_TALK_REPLIES = {
    "greeting": (
        "Hello! What can I help you with? You can paste error messages, Apex code, "
        "SOQL queries or debug logs, and I will look at them."
    ),
    "thanks": "You're welcome. If anything else comes up, just write here.",
    "goodbye": "Goodbye! This conversation stays open if you need anything else.",
}
FALLBACK_REPLY = "How can I help? Describe the problem or paste the error you see."


def small_talk_reply(intent: str) -> str:
    """The reply for a small-talk intent (a general prompt for anything else)."""
    return SMALL_TALK_REPLIES.get(intent, FALLBACK_REPLY)
