"""Screenshots attached to a conversation: checked by their bytes (not their name or the
declared type), size-limited, stored with the conversation and served only to those who
may read it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from sfagent.conversations.lifecycle import ConversationStatus, accepts_messages
from sfagent.conversations.models import Attachment
from sfagent.conversations.service import (
    ConversationClosed,
    ConversationNotFound,
    visible_conversations,
)
from sfagent.errors import NotFound, SfagentError, ValidationFailed
from sfagent.tenancy.context import Tenant

# Magic numbers of the image formats a screenshot comes in.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\\\]+")
MAX_NAME = 200


class UnsupportedAttachment(SfagentError):
    status_code = 415


class AttachmentTooLarge(SfagentError):
    status_code = 413


class AttachmentNotFound(NotFound):
    def __init__(self, attachment_id: str) -> None:
        super().__init__(f"attachment {attachment_id} not found")


@dataclass(frozen=True, slots=True)
class StoredFile:
    filename: str
    content_type: str
    data: bytes
    conversation_id: str


def image_type(data: bytes) -> str | None:
    """The image's MIME type from its first bytes; None when it is no image we accept."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def clean_name(name: str | None) -> str:
    cleaned = _UNSAFE_NAME.sub("_", (name or "").rsplit("/", 1)[-1]).strip() or "screenshot"
    return cleaned[:MAX_NAME]


async def attach(
    session: AsyncSession,
    *,
    tenant: Tenant,
    conversation_id: str,
    filename: str | None,
    data: bytes,
    max_bytes: int,
) -> Attachment:
    """Store a screenshot on the conversation (413 over the limit, 415 when not an image)."""
    conversation = await (await visible_conversations(session, tenant)).get(conversation_id)
    if conversation is None:
        raise ConversationNotFound(conversation_id)
    if not accepts_messages(ConversationStatus(conversation.status)):
        raise ConversationClosed()
    if not data:
        raise ValidationFailed("file", "is empty")
    if len(data) > max_bytes:
        raise AttachmentTooLarge(
            f"the file is {len(data)} bytes; screenshots may be at most {max_bytes}"
        )
    content_type = image_type(data)
    if content_type is None:
        raise UnsupportedAttachment(
            "attach a PNG, JPEG, GIF or WebP screenshot; paste code and logs as text"
        )
    attachment = Attachment(
        organization_id=tenant.organization_id,
        conversation_id=conversation_id,
        filename=clean_name(filename),
        content_type=content_type,
        size=len(data),
        data=data,
        uploaded_by=tenant.principal.label,
    )
    session.add(attachment)
    await session.flush()
    return attachment


async def read(session: AsyncSession, *, tenant: Tenant, attachment_id: str) -> StoredFile:
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None or attachment.organization_id != tenant.organization_id:
        raise AttachmentNotFound(attachment_id)
    # Visible only with its conversation (an end user sees only their own).
    if await (await visible_conversations(session, tenant)).get(attachment.conversation_id) is None:
        raise AttachmentNotFound(attachment_id)
    return StoredFile(
        attachment.filename, attachment.content_type, attachment.data, attachment.conversation_id
    )
