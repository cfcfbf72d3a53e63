"""REST routes for conversations and messages: parse, call the service, shape the reply."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from sfagent.conversations import attachments, service
from sfagent.conversations.lifecycle import ConversationStatus
from sfagent.conversations.schemas import (
    AttachmentOut,
    Channel,
    Citation,
    ConversationCreate,
    ConversationOut,
    ConversationPage,
    DialogueOut,
    DialogueTransitionOut,
    FeedbackIn,
    MessageCreate,
    MessageOut,
    MessagePage,
    MessageResponse,
    RatingIn,
    TopicOut,
    TransitionRequest,
)
from sfagent.conversations.tasks import conversation_channel
from sfagent.db.session import SessionDep
from sfagent.errors import ValidationFailed
from sfagent.idempotency.dependencies import IdempotencyDep
from sfagent.pipeline.dialogue import DialogueState
from sfagent.pipeline.turn import Turn
from sfagent.security.access_log import note_staff_access
from sfagent.tenancy.dependencies import ConversationsRead, ConversationsWrite, SettingsDep

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])
messages_router = APIRouter(prefix="/api/v1/messages", tags=["conversations"])
attachments_router = APIRouter(prefix="/api/v1/attachments", tags=["conversations"])
ConversationId = Annotated[str, "conversation id"]
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query(max_length=500)]


def conversation_out(view: service.ConversationView) -> ConversationOut:
    c = view.conversation
    return ConversationOut(
        id=c.id,
        status=ConversationStatus(c.status),
        channel=c.channel,
        user_id=view.user_id,
        subject=c.subject,
        context=c.context,
        message_count=c.message_count,
        created_at=c.created_at,
        updated_at=c.updated_at,
        last_activity_at=c.last_activity_at,
        resolved_at=c.resolved_at,
        closed_at=c.closed_at,
        dialogue_state=c.dialogue_state,
        csat_score=c.csat_score,
        greeting=MessageOut.model_validate(view.greeting) if view.greeting else None,
    )


def message_response(
    turn: Turn, conversation_id: str, state: ConversationStatus
) -> MessageResponse:
    assert turn.reply_message is not None and turn.user_message is not None
    memory = turn.memory
    return MessageResponse(
        id=turn.reply_message.id,
        conversation_id=conversation_id,
        user_message_id=turn.user_message.id,
        response=turn.reply_message.content,
        confidence=turn.confidence,
        intent=turn.intent,
        category=turn.category,
        understanding=turn.understanding.to_dict() if turn.understanding else None,
        action=turn.action.value if turn.action else None,
        suggested_actions=turn.suggested_actions,
        requires_escalation=turn.requires_escalation,
        state=state,
        dialogue_state=memory.state.value if memory else DialogueState.INITIALIZATION.value,
        topic=memory.topic.key if memory and memory.topic else None,
        slots=memory.all_slots() if memory else {},
        processing_time_ms=turn.processing_time_ms,
        stage_timings_ms=dict(turn.timings_ms),
        diagnostics=turn.diagnostics[0] if turn.diagnostics else None,
        citations=[Citation(**citation) for citation in turn.citations],
        created_at=turn.reply_message.created_at,
    )


@router.post("", status_code=201, response_model=ConversationOut)
async def create_conversation(
    body: ConversationCreate,
    tenant: ConversationsWrite,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> JSONResponse:
    async def produce() -> ConversationOut:
        view = await service.create_conversation(
            session,
            tenant=tenant,
            channel=body.channel,
            user_id=body.user_id,
            subject=body.subject,
            context=body.context,
        )
        return conversation_out(view)

    return await idempotency.run(tenant, produce, status_code=201)


@router.get("", response_model=ConversationPage)
async def list_conversations(
    tenant: ConversationsRead,
    session: SessionDep,
    status: Annotated[list[ConversationStatus] | None, Query()] = None,
    channel: Channel | None = None,
    user_id: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> ConversationPage:
    page = await service.list_conversations(
        session,
        tenant=tenant,
        statuses=status,
        channel=channel,
        user_id=user_id,
        cursor=cursor,
        limit=limit,
    )
    return ConversationPage(
        items=[conversation_out(view) for view in page.items], next_cursor=page.next_cursor
    )


@router.get("/{conversation_id}", response_model=ConversationOut)
async def get_conversation(
    conversation_id: ConversationId,
    tenant: ConversationsRead,
    session: SessionDep,
    request: Request,
    background: BackgroundTasks,
) -> ConversationOut:
    view = await service.get_conversation(session, tenant=tenant, conversation_id=conversation_id)
    await note_staff_access(
        request.app.state, background, tenant, f"conversation:{conversation_id}"
    )
    return conversation_out(view)


@router.post("/{conversation_id}/messages", response_model=MessageResponse)
async def post_message(
    conversation_id: ConversationId,
    body: MessageCreate,
    tenant: ConversationsWrite,
    session: SessionDep,
    idempotency: IdempotencyDep,
    request: Request,
    background: BackgroundTasks,
) -> JSONResponse:
    # After the response (so after the commit): live sockets of this conversation catch up.
    channel = conversation_channel(tenant.organization_id, conversation_id)
    event = json.dumps({"type": "message.created", "by": "api"})
    background.add_task(request.app.state.backplane.publish, channel, event)

    async def produce() -> MessageResponse:
        turn, state = await service.post_message(
            session,
            tenant=tenant,
            conversation_id=conversation_id,
            content=body.content,
            nlu=request.app.state.nlu,
            knowledge=request.app.state.knowledge,
            llm=request.app.state.llm,
        )
        return message_response(turn, conversation_id, state)

    return await idempotency.run(tenant, produce)


_ATTACHMENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        },
    }
}


@router.post(
    "/{conversation_id}/attachments",
    status_code=201,
    response_model=AttachmentOut,
    openapi_extra=_ATTACHMENT_BODY,
)
async def attach_screenshot(
    conversation_id: ConversationId,
    request: Request,
    tenant: ConversationsWrite,
    session: SessionDep,
    settings: SettingsDep,
) -> AttachmentOut:
    """A screenshot (PNG, JPEG, GIF or WebP, multipart field `file`); 413 over the size
    limit, 415 for anything else."""
    upload = await _uploaded_file(request)
    stored = await attachments.attach(
        session,
        tenant=tenant,
        conversation_id=conversation_id,
        filename=upload.filename,
        data=await upload.read(settings.attachment_max_bytes + 1),
        max_bytes=settings.attachment_max_bytes,
    )
    return AttachmentOut(
        id=stored.id,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        url=f"/api/v1/attachments/{stored.id}",
    )


async def _uploaded_file(request: Request) -> UploadFile:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        raise ValidationFailed("file", "send the screenshot as multipart/form-data field `file`")
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ValidationFailed("file", "send the screenshot as multipart/form-data field `file`")
    return upload


@attachments_router.get("/{attachment_id}")
async def read_attachment(
    attachment_id: str,
    tenant: ConversationsRead,
    session: SessionDep,
    request: Request,
    background: BackgroundTasks,
) -> Response:
    """The screenshot's bytes, served so a browser shows it and runs nothing."""
    stored = await attachments.read(session, tenant=tenant, attachment_id=attachment_id)
    target = f"conversation:{stored.conversation_id}"
    await note_staff_access(request.app.state, background, tenant, target)
    return Response(
        stored.data,
        media_type=stored.content_type,
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(stored.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=300",
        },
    )


@router.post("/{conversation_id}/rating", response_model=ConversationOut)
async def rate_conversation(
    conversation_id: ConversationId, body: RatingIn, tenant: ConversationsWrite, session: SessionDep
) -> ConversationOut:
    """The customer's 1-5 rating of the conversation (stored as `csat_score`)."""
    view = await service.rate_conversation(
        session, tenant=tenant, conversation_id=conversation_id, score=body.score
    )
    return conversation_out(view)


@messages_router.post("/{message_id}/feedback", status_code=204)
async def reply_feedback(
    message_id: str, body: FeedbackIn, tenant: ConversationsWrite, session: SessionDep
) -> Response:
    """Thumbs up or down on an assistant reply (also counted for the articles it cited)."""
    await service.reply_feedback(
        session, tenant=tenant, message_id=message_id, helpful=body.helpful
    )
    return Response(status_code=204)


@router.get("/{conversation_id}/messages", response_model=MessagePage)
async def list_messages(
    conversation_id: ConversationId,
    tenant: ConversationsRead,
    session: SessionDep,
    request: Request,
    background: BackgroundTasks,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> MessagePage:
    page = await service.list_messages(
        session, tenant=tenant, conversation_id=conversation_id, cursor=cursor, limit=limit
    )
    await note_staff_access(
        request.app.state, background, tenant, f"conversation:{conversation_id}"
    )
    return MessagePage(
        items=[MessageOut.model_validate(m) for m in page.items], next_cursor=page.next_cursor
    )


@router.get("/{conversation_id}/dialogue", response_model=DialogueOut)
async def get_dialogue(
    conversation_id: ConversationId, tenant: ConversationsRead, session: SessionDep
) -> DialogueOut:
    view = await service.get_dialogue(session, tenant=tenant, conversation_id=conversation_id)
    memory = view.memory
    return DialogueOut(
        state=memory.state.value,
        slots=memory.slots,
        topics=[
            TopicOut(
                key=topic.key,
                category=topic.category,
                state=topic.state,
                slots=topic.slots,
                clarifications=topic.clarifications,
                failed_fixes=topic.failed_fixes,
            )
            for topic in memory.topics
        ],
        awaiting_rating=memory.awaiting_csat,
        csat_score=view.csat_score,
        transitions=[DialogueTransitionOut.model_validate(row) for row in view.transitions],
    )


async def _change_status(
    conversation_id: str,
    body: TransitionRequest | None,
    target: ConversationStatus,
    tenant: ConversationsWrite,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> JSONResponse:
    async def produce() -> ConversationOut:
        view = await service.change_status(
            session,
            tenant=tenant,
            conversation_id=conversation_id,
            target=target,
            reason=body.reason if body else None,
        )
        return conversation_out(view)

    return await idempotency.run(tenant, produce)


@router.post("/{conversation_id}/resolve", response_model=ConversationOut)
async def resolve_conversation(
    conversation_id: ConversationId,
    tenant: ConversationsWrite,
    session: SessionDep,
    idempotency: IdempotencyDep,
    body: TransitionRequest | None = None,
) -> JSONResponse:
    return await _change_status(
        conversation_id, body, ConversationStatus.RESOLVED, tenant, session, idempotency
    )


@router.post("/{conversation_id}/close", response_model=ConversationOut)
async def close_conversation(
    conversation_id: ConversationId,
    tenant: ConversationsWrite,
    session: SessionDep,
    idempotency: IdempotencyDep,
    body: TransitionRequest | None = None,
) -> JSONResponse:
    return await _change_status(
        conversation_id, body, ConversationStatus.CLOSED, tenant, session, idempotency
    )
