"""The respond stage's LLM path: ask the configured chain, keep its answer only if grounded.

The grounded composer has already written a reply; the chain gets it as its fallback, so a
failing, over-budget or ungrounded LLM leaves the customer with the composer's answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sfagent.conversations.repository import MessageRepository
from sfagent.pipeline.turn import PipelineContext, Turn
from sfagent.security.abuse import neutralise_prompt_injection

if TYPE_CHECKING:
    from sfagent.llm_usage.runtime import LlmRuntime

SOURCE_ARTICLES = 3
SOURCE_CHARS = 6_000  # per article: the model needs the steps, not a whole manual
HISTORY_MESSAGES = 6


async def llm_answer(turn: Turn, ctx: PipelineContext, llm: LlmRuntime) -> None:
    """Replace the composed reply with the chain's answer when an LLM gave a grounded one."""
    assert turn.reply is not None
    result = await llm.answer(
        tenant_id=ctx.conversation.organization_id,
        question=turn.llm_text or turn.content,
        sources=_sources(turn),
        diagnostics=_diagnostics(turn),
        history=await _history(ctx),
        composer_reply=turn.reply,
        handoff_reply=turn.reply,
    )
    turn.llm = {
        "model_used": result.model_used,
        "failures": [f"{failure.link}: {failure.reason}" for failure in result.failures],
        "cost_usd": round(result.cost, 6),
    }
    if not result.by_llm:
        return
    turn.reply = result.text
    turn.model_used = result.model_used
    # Loaded already (the runtime imported the LLM package); deferred so importing the
    # pipeline does not load the provider SDKs.
    from sfagent.responder.llm.guard import extract_citations

    titles = {found.article.id: found.article.title for found in turn.retrieved}
    cited = [aid for aid in extract_citations(result.text) if aid in titles]
    turn.citations = [{"article_id": aid, "title": titles[aid]} for aid in cited]


def _sources(turn: Turn) -> list[tuple[str, str, str]]:
    return [
        (found.article.id, found.article.title, found.article.body[:SOURCE_CHARS])
        for found in turn.retrieved[:SOURCE_ARTICLES]
    ]


def _diagnostics(turn: Turn) -> list[tuple[str, str, tuple[str, ...]]]:
    if turn.diagnosis is None:
        return []
    return [(cause.title, cause.explanation, cause.fix) for cause in turn.diagnosis.causes]


async def _history(ctx: PipelineContext) -> list[tuple[str, str]]:
    repository = MessageRepository(ctx.session, ctx.conversation.organization_id)
    messages = await repository.recent(ctx.conversation.id, limit=HISTORY_MESSAGES)
    # Stored messages are redacted already; an injection in an earlier one is removed too.
    return [
        (
            message.role,
            neutralise_prompt_injection(message.content)
            if message.role == "user"
            else message.content,
        )
        for message in messages
    ]
