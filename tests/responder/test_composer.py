"""The grounded composer: replies built only from sources, the diagnosis and the user's words."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import replace

import pytest

from sfagent.diagnostics.diagnose import Cause, Diagnosis, diagnose_message
from sfagent.knowledge import (
    Article,
    KnowledgeIndex,
    SearchHit,
    load_default_articles,
    parse_article,
)
from sfagent.responder import composer_phrases as phrases
from sfagent.responder.composer import (
    ComposedReply,
    DialogueDecision,
    EmotionalStrategy,
    ReplyRequest,
    ReplyType,
    TechnicalLevel,
    compose_reply,
    flesch_reading_ease,
)
from sfagent.responder.composer_phrases import TEMPLATE_PHRASES
from sfagent.responder.composer_sources import without_placeholders

LOCK_MESSAGE = "UNABLE_TO_LOCK_ROW when our nightly batch updates contacts"
SOQL_LOOP_MESSAGE = """I get System.LimitException: Too many SOQL queries: 101 in my trigger
trigger ContactCount on Account (before update) {
    for (Account a : Trigger.new) {
        List<Contact> rows = [SELECT Id FROM Contact WHERE AccountId = :a.Id];
    }
}"""
NON_TECHNICAL_CATEGORIES = ("billing_account", "reports_dashboards")
READING_EASE_TARGET = 60

_FENCED = re.compile(r"```.*?```", re.DOTALL)
_MARKER = re.compile(r"\s*\[\d+\]")
_LIST_MARK = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")
_UNIT_BREAK = re.compile(r"(?<=[.!?;:])\s+")
_PARENTHETICAL = re.compile(r"\s*\([^()]*\)")
_PLACEHOLDER = re.compile(r"\\\{\w+\\\}")


@pytest.fixture(scope="module")
def articles() -> dict[str, Article]:
    return {article.id: article for article in load_default_articles()}


@pytest.fixture(scope="module")
def index(articles: dict[str, Article]) -> KnowledgeIndex:
    return KnowledgeIndex(articles.values())


def retrieve(index: KnowledgeIndex, query: str, k: int = 3) -> list[tuple[Article, SearchHit]]:
    pairs = []
    for hit in index.search(query, k=k):
        article = index.get(hit.article_id)
        assert article is not None
        pairs.append((article, hit))
    return pairs


def request(
    index: KnowledgeIndex,
    message: str,
    *,
    diagnose: bool = False,
    level: TechnicalLevel = TechnicalLevel.INTERMEDIATE,
    strategy: EmotionalStrategy = EmotionalStrategy.PROFESSIONAL,
    slots: dict[str, str] | None = None,
    decision: DialogueDecision | None = None,
) -> ReplyRequest:
    """What the pipeline would pass for `message`: its search hits and, if asked, diagnosis."""
    return ReplyRequest.build(
        message,
        diagnosis=diagnose_message(message) if diagnose else None,
        sources=retrieve(index, message),
        slots=slots,
        level=level,
        strategy=strategy,
        decision=decision,
    )


def article_request(
    index: KnowledgeIndex, article: Article, *, level: TechnicalLevel
) -> ReplyRequest:
    """A request whose only source is `article`, found by searching for its title."""
    hit = next(hit for hit in index.search(article.title, k=10) if hit.article_id == article.id)
    return ReplyRequest.build(article.title, sources=[(article, hit)], level=level)


# --- groundedness -------------------------------------------------------------------------


def normalise(text: str) -> str:
    text = text.replace("**", "").lower()
    return re.sub(r"\s+", " ", text).strip(" .:;!?\"'“”")


def prose_units(reply: str) -> list[str]:
    """Sentences and clauses of the reply's prose, without code, markers and list marks."""
    units = []
    for line in _FENCED.sub("\n", reply).split("\n"):
        line = _MARKER.sub("", _LIST_MARK.sub("", line)).replace("**", "")
        units += [normalise(piece) for piece in _UNIT_BREAK.split(line)]
    return [unit for unit in units if unit]


def template_patterns() -> list[re.Pattern[str]]:
    patterns = []
    for phrase in TEMPLATE_PHRASES:
        for unit in prose_units(phrase):
            pattern = _PLACEHOLDER.sub(".+", re.escape(unit))
            if pattern != ".+":  # a bare placeholder is a value, checked against the evidence
                patterns.append(re.compile(pattern))
    return patterns


def evidence_text(req: ReplyRequest) -> str:
    """Everything a reply may quote: sources, diagnosis, decision, slots, the user's words."""
    pieces: list[str] = [req.message, *req.slots.values()]
    for source in req.sources:
        article = source.article
        pieces += [article.title, article.id, f"{article.title} ({article.id})", article.body]
        # An unfilled template placeholder may be named neutrally ("the billing portal").
        pieces.append(without_placeholders(article.body))
    if req.diagnosis is not None:
        pieces += [str(value) for cause in req.diagnosis.causes for value in _values(cause)]
        pieces += [a.governor_risk.summary for a in req.diagnosis.apex if a.governor_risk]
    decision = req.decision
    pieces += [decision.question or "", decision.reason or "", decision.next_step or ""]
    pieces += decision.options
    plain = normalise("\n".join(pieces))
    # Deleting an aside "(...)" is the only edit allowed besides cutting at a clause.
    without_asides = re.sub(r"\s+([,.;:!?])", r"\1", _PARENTHETICAL.sub("", plain))
    return plain + "\n" + without_asides


def _values(cause: Cause) -> Iterable[object]:
    return [value for value in cause.to_dict().values() if value] + list(cause.fix)


def ungrounded_units(req: ReplyRequest, reply: ComposedReply) -> list[str]:
    evidence = evidence_text(req)
    templates = template_patterns()
    return [
        unit
        for unit in prose_units(reply.text)
        if unit not in evidence and not any(p.fullmatch(unit) for p in templates)
    ]


def code_blocks(text: str) -> list[str]:
    blocks = re.findall(r"```[\w+-]*\n(.*?)\n\s*```", text, re.DOTALL)
    return [re.sub(r"\s+", " ", block).strip() for block in blocks]


SCENARIOS = (
    [
        pytest.param(LOCK_MESSAGE, False, level, strategy, id=f"lock-{level}-{strategy}")
        for level in TechnicalLevel
        for strategy in EmotionalStrategy
    ]
    + [
        pytest.param(
            SOQL_LOOP_MESSAGE, True, level, EmotionalStrategy.PROFESSIONAL, id=f"soql-{level}"
        )
        for level in TechnicalLevel
    ]
    + [
        pytest.param(
            "How do I download last month's invoice?",
            False,
            TechnicalLevel.BEGINNER,
            EmotionalStrategy.CLARIFYING,
            id="invoice-beginner",
        ),
        pytest.param(
            "A user is frozen and cannot log in",
            False,
            TechnicalLevel.INTERMEDIATE,
            EmotionalStrategy.APOLOGETIC_EXPEDITE,
            id="frozen-intermediate",
        ),
    ]
)


@pytest.mark.parametrize(("message", "diagnose", "level", "strategy"), SCENARIOS)
def test_every_sentence_comes_from_a_source_the_diagnosis_or_a_template(
    index: KnowledgeIndex,
    message: str,
    diagnose: bool,
    level: TechnicalLevel,
    strategy: EmotionalStrategy,
) -> None:
    slots = {"error": "UNABLE_TO_LOCK_ROW", "object": "Account"}
    req = request(index, message, diagnose=diagnose, level=level, strategy=strategy, slots=slots)
    reply = compose_reply(req)
    assert reply.grounded
    assert ungrounded_units(req, reply) == []
    assert "{{" not in reply.text  # unfilled template placeholders never reach a customer
    sources = normalise(evidence_text(req))
    for block in code_blocks(reply.text):
        assert normalise(block) in sources


def test_handoff_clarification_and_dont_know_replies_are_grounded(index: KnowledgeIndex) -> None:
    decisions = [
        DialogueDecision.clarify(slot="object", options=("Account", "Contact")),
        DialogueDecision.clarify(question="Which sandbox is it?", options=("Dev", "UAT")),
        DialogueDecision.escalate(reason="You asked for a person.", next_step="We call you."),
        DialogueDecision.escalate(),
    ]
    for decision in decisions:
        req = request(index, LOCK_MESSAGE, diagnose=True, decision=decision)
        assert ungrounded_units(req, compose_reply(req)) == []
    unknown = ReplyRequest.build("My dashboard turns purple every Tuesday")
    assert ungrounded_units(unknown, compose_reply(unknown)) == []


def test_the_groundedness_check_catches_an_invented_sentence(index: KnowledgeIndex) -> None:
    req = request(index, LOCK_MESSAGE)
    reply = compose_reply(req)
    invented = replace(reply, text=reply.text + "\n\nLocks last one hour; call support.")
    assert ungrounded_units(req, invented) == ["locks last one hour", "call support"]


# --- citations ----------------------------------------------------------------------------


@pytest.mark.parametrize("level", list(TechnicalLevel))
@pytest.mark.parametrize("diagnose", [False, True])
def test_every_citation_is_marked_in_the_text_and_listed_under_sources(
    index: KnowledgeIndex, level: TechnicalLevel, diagnose: bool
) -> None:
    req = request(index, SOQL_LOOP_MESSAGE, diagnose=diagnose, level=level)
    reply = compose_reply(req)
    body, _, footer = reply.text.partition("\nSources:\n")
    assert reply.citations
    retrieved = {source.article.id: source.article.title for source in req.sources}
    for number, (article_id, title) in enumerate(reply.citations, start=1):
        assert retrieved[article_id] == title
        assert f"[{number}]" in body
        assert f"[{number}] {title} ({article_id})" in footer
    markers = {int(found) for found in re.findall(r"\[(\d+)\]", body)}
    assert markers == set(range(1, len(reply.citations) + 1))


def test_a_hit_far_weaker_than_the_best_is_not_cited(
    index: KnowledgeIndex, articles: dict[str, Article]
) -> None:
    (best, best_hit), (other, other_hit) = retrieve(index, LOCK_MESSAGE, k=2)
    weak = replace(other_hit, score=best_hit.score / 10)
    req = ReplyRequest.build(LOCK_MESSAGE, sources=[(best, best_hit), (other, weak)])
    cited = [article_id for article_id, _ in compose_reply(req).citations]
    assert cited == [best.id]


# --- no evidence ---------------------------------------------------------------------------


def test_without_sources_or_diagnosis_it_says_it_does_not_know_and_cites_nothing() -> None:
    message = "My dashboard turns purple every Tuesday"
    reply = compose_reply(ReplyRequest.build(message))
    assert "I do not know" in reply.text
    assert message in reply.text  # the user's own words, quoted back
    assert "person" in reply.text
    assert reply.citations == ()
    assert "Sources:" not in reply.text
    assert reply.confidence == 0.0
    assert not reply.grounded


# --- technical level ----------------------------------------------------------------------


@pytest.mark.parametrize("diagnose", [False, True])
def test_expert_reply_is_shorter_than_beginner_reply(index: KnowledgeIndex, diagnose: bool) -> None:
    message = SOQL_LOOP_MESSAGE if diagnose else LOCK_MESSAGE
    beginner = compose_reply(
        request(index, message, diagnose=diagnose, level=TechnicalLevel.BEGINNER)
    )
    expert = compose_reply(request(index, message, diagnose=diagnose, level=TechnicalLevel.EXPERT))
    assert len(expert.text.split()) < len(beginner.text.split())


def test_expert_sees_code_before_any_step_or_explanation(index: KnowledgeIndex) -> None:
    reply = compose_reply(request(index, LOCK_MESSAGE, level=TechnicalLevel.EXPERT))
    assert reply.reply_type is ReplyType.TECHNICAL
    first_code = reply.text.index("```")
    assert first_code < reply.text.index("1. ")
    assert first_code < reply.text.index("Here is what usually causes this")


def test_expert_sees_rewritten_code_before_the_fix_steps(index: KnowledgeIndex) -> None:
    reply = compose_reply(
        request(index, SOQL_LOOP_MESSAGE, diagnose=True, level=TechnicalLevel.EXPERT)
    )
    assert reply.text.index("```apex") < reply.text.index("How to fix it")
    assert reply.text.index("```apex") < reply.text.index("Why it happens")


def test_beginner_reads_the_explanation_and_steps_before_any_code(index: KnowledgeIndex) -> None:
    for message, diagnose in ((LOCK_MESSAGE, False), (SOQL_LOOP_MESSAGE, True)):
        reply = compose_reply(
            request(index, message, diagnose=diagnose, level=TechnicalLevel.BEGINNER)
        )
        before_code = reply.text[: reply.text.index("```")]
        assert "1. " in before_code
        assert "causes this" in before_code or "Why it happens" in before_code


def test_beginner_gets_more_smaller_steps_without_asides(index: KnowledgeIndex) -> None:
    beginner = compose_reply(request(index, LOCK_MESSAGE, level=TechnicalLevel.BEGINNER))
    intermediate = compose_reply(request(index, LOCK_MESSAGE, level=TechnicalLevel.INTERMEDIATE))

    def steps(text: str) -> int:
        main_answer = text.split(phrases.ALTERNATIVE_INTRO)[0]  # not the runner-up's steps
        return len(re.findall(r"^\d+\. ", main_answer, re.MULTILINE))

    assert steps(beginner.text) > steps(intermediate.text)
    assert "(for master-detail" in intermediate.text
    prose = _FENCED.sub("", beginner.text)
    assert "(for master-detail" not in prose
    assert "(thousands of children" not in prose


def test_non_technical_replies_for_beginners_are_easy_to_read(
    index: KnowledgeIndex, articles: dict[str, Article]
) -> None:
    chosen = [a for a in articles.values() if a.category in NON_TECHNICAL_CATEGORIES]
    scores = [
        flesch_reading_ease(
            compose_reply(article_request(index, a, level=TechnicalLevel.BEGINNER)).text
        )
        for a in chosen
    ]
    assert len(scores) >= 15
    assert statistics.mean(scores) >= READING_EASE_TARGET


def test_sentences_addressed_to_the_support_agent_are_left_out(
    index: KnowledgeIndex, articles: dict[str, Article]
) -> None:
    article = articles["template-invoices"]
    assert "The agent should never promise credits" in article.body
    for level in TechnicalLevel:
        reply = compose_reply(article_request(index, article, level=level))
        assert "The agent should" not in reply.text
        assert "Download an invoice" in reply.text


# --- reply type ---------------------------------------------------------------------------


def test_reply_type_follows_the_evidence(index: KnowledgeIndex) -> None:
    def reply_type(message: str, diagnose: bool, level: TechnicalLevel) -> ReplyType:
        return compose_reply(request(index, message, diagnose=diagnose, level=level)).reply_type

    assert reply_type(SOQL_LOOP_MESSAGE, True, TechnicalLevel.BEGINNER) is ReplyType.TECHNICAL
    assert reply_type(LOCK_MESSAGE, False, TechnicalLevel.EXPERT) is ReplyType.TECHNICAL
    assert reply_type(LOCK_MESSAGE, False, TechnicalLevel.BEGINNER) is ReplyType.INSTRUCTIONAL
    assert reply_type(LOCK_MESSAGE, True, TechnicalLevel.INTERMEDIATE) is ReplyType.INSTRUCTIONAL


def test_source_without_steps_gives_an_informational_reply() -> None:
    article = parse_article(
        "---\nid: org-limits-page\ntitle: The org limits page\ncategory: how_to_config\n"
        "status: published\n---\n\n## Problem\n\nAdmins want to see their org's limits.\n\n"
        "## Cause\n\nThe System Overview page lists usage against each limit.\n"
    )
    hit = KnowledgeIndex([article]).search("org limits page")[0]
    reply = compose_reply(ReplyRequest.build("Where are my org limits?", sources=[(article, hit)]))
    assert reply.reply_type is ReplyType.INFORMATIONAL
    assert "The System Overview page lists usage against each limit. [1]" in reply.text
    assert reply.citations == (("org-limits-page", "The org limits page"),)


def test_diagnosis_without_fix_or_code_gives_an_informational_reply() -> None:
    cause = Cause(
        title="System.NullPointerException: Attempt to de-reference a null object",
        explanation="The transaction failed in AccountService.",
        fix=(),
        source="debug_log",
        where="debug log line 12",
        line=12,
    )
    reply = compose_reply(ReplyRequest.build("see log", diagnosis=Diagnosis(causes=(cause,))))
    assert reply.reply_type is ReplyType.INFORMATIONAL
    assert cause.title in reply.text and cause.explanation in reply.text
    assert reply.grounded and reply.citations == ()


def test_diagnosis_comes_first_and_articles_support_it(index: KnowledgeIndex) -> None:
    req = request(index, SOQL_LOOP_MESSAGE, diagnose=True)
    reply = compose_reply(req)
    # The diagnosis leads; the article about the same error follows it, cited.
    assert reply.text.index("**Too many SOQL queries**") < reply.text.index("[1]")
    assert reply.citations[0][0] == "too-many-soql-queries"


# --- emotional strategy -------------------------------------------------------------------


def compose_with(index: KnowledgeIndex, strategy: EmotionalStrategy) -> str:
    return compose_reply(request(index, LOCK_MESSAGE, strategy=strategy)).text


def test_apologetic_strategy_apologises_gives_the_fix_first_and_offers_a_person(
    index: KnowledgeIndex,
) -> None:
    text = compose_with(index, EmotionalStrategy.APOLOGETIC_EXPEDITE)
    first_paragraph = text.split("\n\n")[0]
    assert "Sorry" in first_paragraph
    assert text.index("1. ") < text.index("Here is what usually causes this")
    assert "person" in text.split("\n\nSources:")[0].split("\n\n")[-1]


def test_empathetic_strategy_offers_a_person_in_the_first_paragraph(
    index: KnowledgeIndex,
) -> None:
    first_paragraph = compose_with(index, EmotionalStrategy.EMPATHETIC_ESCALATE).split("\n\n")[0]
    assert "frustrating" in first_paragraph
    assert "person" in first_paragraph


def test_reinforcing_strategy_is_brief_and_professional_is_neutral(
    index: KnowledgeIndex,
) -> None:
    reinforcing = compose_with(index, EmotionalStrategy.REINFORCING)
    professional = compose_with(index, EmotionalStrategy.PROFESSIONAL)
    assert reinforcing.startswith("Happy to help.")
    assert len(reinforcing) < len(professional)
    assert "Sorry" not in professional and "frustrating" not in professional


def test_clarifying_strategy_offers_to_explain_any_step(index: KnowledgeIndex) -> None:
    text = compose_with(index, EmotionalStrategy.CLARIFYING)
    assert "explain" in text.split("\n\nSources:")[0].split("\n\n")[-1]


# --- clarification and escalation ---------------------------------------------------------


@pytest.mark.parametrize("strategy", list(EmotionalStrategy))
def test_clarification_asks_exactly_one_question_and_lists_the_options(
    index: KnowledgeIndex, strategy: EmotionalStrategy
) -> None:
    decision = DialogueDecision.clarify(slot="object", options=("Account", "Contact", "Lead"))
    reply = compose_reply(request(index, LOCK_MESSAGE, decision=decision, strategy=strategy))
    assert reply.reply_type is ReplyType.CLARIFICATION
    assert reply.text.count("?") == 1
    assert "Which object is this about?" in reply.text
    for option in decision.options:
        assert f"- {option}" in reply.text
    assert reply.citations == ()


def test_clarification_uses_the_dialogue_question_when_given() -> None:
    decision = DialogueDecision.clarify(question="Which feature are you setting up?")
    reply = compose_reply(ReplyRequest.build("it is broken", decision=decision))
    assert reply.text.count("?") == 1
    assert "Which feature are you setting up?" in reply.text


def test_escalation_says_why_and_what_happens_next(index: KnowledgeIndex) -> None:
    decision = DialogueDecision.escalate(
        reason="You asked to speak to a person.",
        next_step="A support engineer will reply here within one business day.",
    )
    reply = compose_reply(request(index, LOCK_MESSAGE, decision=decision))
    assert reply.reply_type is ReplyType.ESCALATION
    assert "**Why:** You asked to speak to a person." in reply.text
    assert "**What happens next:** A support engineer will reply here within" in reply.text
    assert reply.citations and reply.citations[0][0] == "unable-to-lock-row"


def test_escalation_without_a_next_step_still_says_what_happens_next() -> None:
    reply = compose_reply(ReplyRequest.build("help", decision=DialogueDecision.escalate()))
    assert "**What happens next:** A support engineer will reply here." in reply.text
    assert reply.citations == () and not reply.grounded


# --- personalisation and confidence -------------------------------------------------------


def test_mentions_the_users_error_and_object_when_the_source_is_about_them(
    index: KnowledgeIndex,
) -> None:
    slots = {"error": "UNABLE_TO_LOCK_ROW", "object": "Account"}
    text = compose_reply(request(index, LOCK_MESSAGE, slots=slots)).text
    assert "the UNABLE_TO_LOCK_ROW error you mentioned" in text
    assert "You asked about Account" in text


def test_does_not_claim_a_source_covers_an_error_it_does_not_mention(
    index: KnowledgeIndex,
) -> None:
    slots = {"error": "INVALID_SESSION_ID", "object": "Quote"}
    text = compose_reply(request(index, LOCK_MESSAGE, slots=slots)).text
    assert "INVALID_SESSION_ID" not in text
    assert "Quote" not in text


def test_confidence_grows_with_agreeing_evidence(index: KnowledgeIndex) -> None:
    diagnosed = compose_reply(request(index, SOQL_LOOP_MESSAGE, diagnose=True))
    retrieved = compose_reply(request(index, SOQL_LOOP_MESSAGE))
    (article, hit) = retrieve(index, SOQL_LOOP_MESSAGE, k=1)[0]
    weak_hit = replace(hit, score=hit.score / 4)
    weak = compose_reply(ReplyRequest.build("soql", sources=[(article, weak_hit)]))
    assert 1 >= diagnosed.confidence > retrieved.confidence > weak.confidence > 0
