"""What the decide stage weighs: when a person must take over, how technical and how upset
the writer is. Small, explicit rules; a tenant's own rules come on top of these."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from sfagent.escalation.policy import ReasonCode, reason_code
from sfagent.nlu.catalog import SUPPORT_CATEGORIES
from sfagent.pipeline.dialogue import Topic
from sfagent.pipeline.turn import Turn
from sfagent.responder.composer import EmotionalStrategy, TechnicalLevel

# Why a person takes over, told to the user, for the intents the catalog marks `escalate`.
HANDOFF_REASONS: dict[str, str] = {
    "request_human": "you asked for a person",
    "refund_request": "refunds and billing disputes are decided by our billing team",
    "complaint": "you raised a complaint, which a person should handle",
    "service_outage": "a production outage needs a person straight away",
}
# Below this an intent is too unsure to hand off on its own say-so.
HANDOFF_INTENT_CONFIDENCE = 0.5
# Intents that hand off by themselves but that a how-to question can be mistaken for; from
# this confidence the intent is trusted even for a question.
_READ_AS_INCIDENT = frozenset({"complaint", "service_outage"})
SURE_INCIDENT = 0.9
_HOW_TO_QUESTION = re.compile(
    r"\b(how (do|can|should|would) (i|we)|what should (i|we) use|which (\w+ )?should (i|we)|"
    r"is (it|there a way) (possible|to)|is there a way)\b",
    re.IGNORECASE,
)
SMALL_TALK_INTENTS = frozenset({"greeting", "thanks", "goodbye"})
SMALL_TALK_CONFIDENCE = 0.7
# Answers to its questions that told nothing new before the agent hands over to a person,
# and questions about one topic in all (even when each answer adds a little).
MAX_CLARIFICATIONS = 2
MAX_QUESTIONS_PER_TOPIC = 4
# Fixes the user said did not work before a person takes over.
MAX_FAILED_FIXES = 2
# An answer to "what is the exact error?" this short with no error in it still lacks one.
SHORT_ANSWER_WORDS = 12
# Sentiment falling by this much over the last turns, from the first to the last, is a decline.
SENTIMENT_DECLINE = 0.3
# A declining trajectory that ends this low hands the conversation to a person.
SPIRAL_SENTIMENT = -0.6
TRAJECTORY_TURNS = 3
CLARIFYING_QUESTION = (
    "I can only help with Salesforce questions. Which part of Salesforce is this about, "
    "and what error or message do you see?"
)
CLARIFYING_OPTIONS = (
    "an error message, Apex code or a debug log",
    "logging in, users or access to records",
    "importing, exporting or reporting on data",
    "Flows, deployments or Lightning pages",
    "billing, licences or your subscription",
)
# Words that mark a message a machine should not try to settle, whatever its intent. A
# pattern that needs two things anywhere in the message is two lookaheads anchored at \A:
# unanchored, `search` would retry them from every position (minutes on a pasted log).
_HANDOFF_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"\A(?=.*\b((i'?m|i am|we have) (the|an?) (only|sole|single) (system )?admin\w*|"
            r"(our|the) only (salesforce |system |sf )*admin\w*|only (system )?admin\w* (in|of) "
            r"(our|the)|no other admin\w*))(?=.*\b(can'?t|cannot|unable to|could ?n[o']t) (log|"
            r"get|sign)|.*\blocked out|.*\b(left|quit|departed) (the company|us)|.*\bget "
            r"admin access back)",
            re.IGNORECASE | re.DOTALL,
        ),
        "an org whose only administrator is locked out needs Salesforce support to verify "
        "and restore access; a support engineer will help you open that case",
    ),
    (
        re.compile(
            r"\b(hacked|compromised|phish\w*|stolen|security (incident|alert|concern)|"
            r"suspicious (login|activity|logins)|(ex-|former )(contractor|employee)\W+s? "
            r"(account|login|user)\b.{0,80}\blogged in|your security (people|team)|(logins?|"
            r"logged in|logging in|signed in|sign-ins?)\b.{0,80}\b(nobody|no one|none of us|we "
            r"have no(body| one| staff)?|wasn'?t (me|him|her)|we don'?t have)|(fired|terminated|"
            r"let go|dismissed)\b.{0,150}\b(export\w*|download\w*|copying|taking)|(clicked|"
            r"opened) (the|a|that) link\b.{0,120}\b(typed|entered|put in) (her|his|my|their|our) "
            r"(username|password|credentials)|unauthori[sz]ed "
            r"(access|login\w*))",
            re.IGNORECASE | re.DOTALL,
        ),
        "a possible security incident needs a person straight away",
    ),
    (
        # Data seen by the wrong people or a secret made public: urgent, but the fix lives
        # where the exposure came from (sharing settings, the integration's credentials).
        re.compile(
            r"\b((data|security|privacy) breach\w*|breach\w* (of|in) (\w+ )?(data|security|"
            r"privacy)|(been|was|were) breached|leak(ed|s)?|(data|records?) (was|were|is|are|"
            r"got) exposed|(secret|token|password|credential)s? .{0,60}\bpublic\b|(see|seeing|"
            r"saw|view|access) (the )?(data|records?|cases|accounts|contacts) of other "
            r"customers|(see|seeing|saw|view) other customers'?)",
            re.IGNORECASE | re.DOTALL,
        ),
        "possible data exposure needs a person straight away",
    ),
    (
        re.compile(
            r"\b(data loss|lost (all|our|the) (data|records)|(data|records|accounts|contacts|"
            r"opportunities|leads|cases|everything) (are|were|is) (all )?(gone|wiped)|"
            r"wiped out|get (our|the|my) data back|hard delete\w* (on )?the wrong|"
            r"recycle bin (is|was) (empty|emptied))\b",
            re.IGNORECASE | re.DOTALL,
        ),
        "possible data loss needs a person straight away",
    ),
    (
        # A mistaken delete or overwrite at scale: a few hundred records come back from the
        # Recycle Bin by themselves; tens of thousands in production need a person.
        re.compile(
            r"\A(?=.*\b((deleted|overwr\w+|wiped|updated) .{0,60}\b(by mistake|accidentally|in "
            r"error)|(accidentally|mistakenly) (hard )?(deleted|overwr\w+|wiped|updated)|"
            r"(delete|deleted|deletion|update|updated|import|imported|upsert\w*)\b.{0,60}\bwrong "
            r"(file|csv|list|filter|records?|object|org)|\b(are|were) (all )?gone\b|"
            r"(someone|somebody|they|we) emptied (it|the recycle bin)))"
            r"(?=.*(\bhard delete|\b\d{1,3},\d{3}\b|\b\d{5,}\b|\bthousands\b|\bproduction\b|"
            r"\bprod\b|\ball (of )?(our|the) ))",
            re.IGNORECASE | re.DOTALL,
        ),
        "possible data loss needs a person straight away",
    ),
    (
        re.compile(
            r"\b(production|prod|org|salesforce|(production |prod )?integrations?|site|portal) "
            r"(is|are|went|has gone|have gone) down\b|\bproduction down\b|\bbusiness (is )?"
            r"(stopped|halted|down)\b|\b(nobody|no one|none of (our|the) users)\b[^.?!]{0,40}"
            r"\bcan (log ?in|log into|sign in|work|access salesforce|use salesforce|save "
            r"(anything|any records?)|do anything)\b|\b(nobody|no one) can \w+ [^.?!]{0,40}\bin "
            r"(production|prod)\b|\b(all|every) (of our )?(\d[\d,]* )?users (are )?(locked|"
            r"blocked|cannot|can't)",
            re.IGNORECASE,
        ),
        "a production outage needs a person straight away",
    ),
    (
        re.compile(r"\bSalesforce System Error\b|\bgack\b", re.IGNORECASE),
        "an internal Salesforce error (a gack) can only be traced by Salesforce support from "
        "its error number; a support engineer will take it up",
    ),
    (
        re.compile(
            r"\b(lawyer|legal (action|department|team|wants|needs|asked|is asking)|lawsuit|"
            r"sue\b|subpoena|gdpr (request|audit)|data subject (access )?request|\bdsar\b|"
            r"data processing (addendum|agreement))",
            re.IGNORECASE,
        ),
        "legal and data-protection requests are handled by people",
    ),
    (
        # A formal GDPR demand ("under Article 15 we demand disclosure"), not an admin asking
        # how to honour erasure requests in their own org.
        re.compile(
            r"\A(?=.*\bgdpr\b)(?=.*\b(we|i|our client) (hereby |formally )?(demand|require|"
            r"request that)\b)",
            re.IGNORECASE | re.DOTALL,
        ),
        "legal and data-protection requests are handled by people",
    ),
    (
        re.compile(
            r"\b(chargeback|(want|need|request\w*|get|demand) (a |the |our |my )?(\w+ )?"
            r"refund\w*|refund(ed)? (to )?(us|me|our)\b|charged twice|double[- ]charged|"
            r"disput(e|es|ed|ing) (the|this|a|that|our|an)\b|billing disputes?|"
            r"will not pay|won'?t pay|refuse to pay|(my|our|the) money back|"
            r"(need|want|issue|send) (us )?(a )?corrected invoice|credit note|overdue (balance|"
            r"invoice|payment)|(account|org) (is |was |has been )?suspended|do not agree to "
            r"(this|the) (price|increase|uplift))",
            re.IGNORECASE,
        ),
        "refunds and payment disputes are decided by our billing team",
    ),
    (
        re.compile(
            r"\b(formally cancel|(want to|going to|how (do|can) (we|i)) cancel (our |the |my )?"
            r"(\d+ )?(\w+ )?(contract|subscription|salesforce|licen[cs]es|seats|plan)\b|stop the "
            r"auto[- ]?renew\w*|(do not|don'?t|not) "
            r"(want (it )?to )?auto[- ]?renew|terminate (our|the) (contract|agreement|"
            r"subscription)|(won'?t|will not|not going to|do not intend to|don'?t intend to) "
            r"(be )?renew(ing)? (our |the |this |my )?(\w+ )?(contract|subscription|agreement|"
            r"licen[cs]es|salesforce)\b|"
            r"move (off|away from) salesforce|notice of (non[- ]?renewal|termination|"
            r"cancell?ation))",
            re.IGNORECASE,
        ),
        "cancellations and contract terms are handled by our billing team",
    ),
    (
        re.compile(
            r"\b(every|all|thousands|hundreds)\b.{0,120}\b(still (running|going|sending|"
            r"happening|emailing|updating|overwriting)|keeps? (sending|emailing|overwriting|"
            r"deleting))\b|\b(emails?|emailing|sending|sent)\b.{0,100}\b(over and over|again "
            r"and again|\d+ times already)|\b(emails?|emailing|sending)\b.{0,160}\bstill "
            r"(running|going|sending|happening)\b|\b(flow|automation|process|workflow|trigger)\b.{0,200}"
            r"\b(every|all|thousands)\b.{0,120}\b(right now|immediately)\b",
            re.IGNORECASE | re.DOTALL,
        ),
        "automation changing data or emailing customers right now risks data loss; it needs a "
        "person straight away",
    ),
    (
        re.compile(
            r"\b(talk|speak|chat) (to|with) (a |an |your )?(real |actual |live )?(human|person|"
            r"someone|agent|representative|engineer|security)|\b(real|live) (person|human|agent)\b|"
            r"\b(need|want|get)( \w+){0,4} (a |an )?(?<!each )(?<!every )(person|human|engineer|"
            r"someone|somebody)\b|\b(can|could) you (raise|increase|bump|lift) (our|the) (\w+ )?"
            r"(\w+ )?(limit|allocation)|\b(someone|somebody) "
            r"(from|at|on) (your|salesforce)|\bplease escalate\b|\bescalate (this|it)\b|"
            r"\b(route|forward|pass|send) (this|it|me) to (whoever|someone|somebody|the team|"
            r"your)|\bwho (at|in) (salesforce|your (company|team))|\bcan (someone|somebody) "
            r"((on|from) your (side|end|team) )?(look|check)",
            re.IGNORECASE,
        ),
        "you asked for a person",
    ),
)
# Entities only Salesforce has: a message naming one is about Salesforce.
SALESFORCE_ENTITIES = (
    "SALESFORCE_OBJECT",
    "FIELD_NAME",
    "FEATURE",
    "PRODUCT",
    "LIMIT",
    "API_ENDPOINT",
    "ERROR",
)
# Below this intent confidence, with nothing recognised, ask before handing over.
LOW_INTENT_CONFIDENCE = 0.4
# A failure report this short, naming no error, object, field, record or endpoint, is vague.
VAGUE_MAX_WORDS = 8
SPECIFIC_ENTITIES = (
    "ERROR",
    "SALESFORCE_OBJECT",
    "FIELD_NAME",
    "RECORD_ID",
    "API_ENDPOINT",
    "LIMIT",
    "CODE",
)
# The support category fuses the NLU's category scores with the categories of the best
# articles: an article filed under the category where its fix lives is strong evidence of
# where this message's fix lives (measured with `sfagent eval answers dev`).
NLU_CATEGORY_WEIGHT = 1.5
ARTICLE_CATEGORY_WEIGHT = 1.0
ARTICLE_RANK_DECAY = 0.5
VOTING_ARTICLES = 3
_CODE_MARKERS = re.compile(r"```|\bSystem\.\w+|\bSELECT\b.+\bFROM\b|\btrigger\b.+\bon\b", re.S)


@dataclass(frozen=True, slots=True)
class Handoff:
    reason: str


def handoff_needed(turn: Turn) -> Handoff | None:
    """Why this message should go to a person now, if it should."""
    for pattern, reason in _HANDOFF_PATTERNS:
        if pattern.search(turn.content):
            return Handoff(reason)
    spec = turn.understanding.spec if turn.understanding is not None else None
    if spec is None or not spec.escalate:
        return None
    if (turn.confidence or 0.0) < HANDOFF_INTENT_CONFIDENCE or _asks_how(turn, spec.name):
        return None
    return Handoff(HANDOFF_REASONS.get(spec.name, "this needs a person"))


def _asks_how(turn: Turn, intent: str) -> bool:
    """A how-to or timing question the intent model read as a complaint or an outage ("warn
    agents before they breach", "when will the next release hit production"): no words in
    it call for a person, so the agent answers it."""
    if intent not in _READ_AS_INCIDENT or (turn.confidence or 0.0) >= SURE_INCIDENT:
        return False
    return bool(_HOW_TO_QUESTION.search(turn.content) or _OTHER_TOPICS.search(turn.content))


def knowledge_answer_allowed(turn: Turn) -> bool:
    """Whether the message asks something an article could answer.

    Dialogue acts and out-of-scope messages ("sorry, back now", "it doesn't work") share
    only common words with any article, so a match would be noise. A recognised error is
    evidence enough whatever the words around it, and so is a message the intent model
    called out of scope, or read as an unsure dialogue act, that names a Salesforce feature,
    object or limit ("the Schedule Apex UI only offers daily times", "Product Model picklist
    on Case"): it is about Salesforce, phrased in a way the model has not seen.
    """
    if turn.diagnosis is not None and turn.diagnosis.errors:
        return True
    if _NOT_ABOUT_SALESFORCE.search(turn.content):
        return False
    spec = turn.understanding.spec if turn.understanding is not None else None
    if turn.understanding is None:
        return True
    if spec is None:
        return False
    unsure_act = spec.group == "DIALOGUE" and (turn.confidence or 0.0) < HANDOFF_INTENT_CONFIDENCE
    if spec.name == "oos" or unsure_act:
        return _names_salesforce(turn)
    return spec.group != "DIALOGUE"


def _names_salesforce(turn: Turn) -> bool:
    return _names_any(turn, SALESFORCE_ENTITIES)


def _names_any(turn: Turn, kinds: tuple[str, ...]) -> bool:
    """Whether the understanding found an entity of any of these types in the message."""
    by_type = turn.entities.get("by_type", {}) if turn.entities else {}
    return any(by_type.get(kind) for kind in kinds)


def is_small_talk(turn: Turn) -> bool:
    """A greeting, thanks or goodbye with nothing else worth answering in it."""
    return (
        turn.intent in SMALL_TALK_INTENTS
        and (turn.confidence or 0.0) >= SMALL_TALK_CONFIDENCE
        and turn.diagnosis is not None
        and not turn.diagnosis.found_anything
    )


# Learning, product ideas and release timing belong to no feature's team, whatever feature
# the message names ("the Trailhead challenge can't find my custom field").
_OTHER_TOPICS = re.compile(
    r"\b(trailhead|superbadge|webassessor|certification exam|cert exam|feature request|"
    r"(please|pls) add (this|that|the) feature|add this feature|idea ?exchange|when (is|will) "
    r"the next (\w+ )?release|when (does|do|will|is) the (\w+ ('?\d\d )?)?release (hit|land|"
    r"arrive|reach|come|go live)|release (dates?|schedule|calendar)|sandbox preview|preview "
    r"sandbox|release preview)\b",
    re.IGNORECASE,
)
# The test summary `sf project deploy` and change-set validations print.
_DEPLOYMENT_TEST_REPORT = re.compile(
    r"=== ?(test failures|failing tests)|\b(deploy(ment)? failed|runlocaltests|"
    r"runalltestsinorg|run local tests)\b",
    re.IGNORECASE,
)
# A message that says itself it is not about Salesforce ("quick q unrelated to salesforce -
# my excel vlookup"): no article should answer it, whatever Salesforce-like words it has.
_NOT_ABOUT_SALESFORCE = re.compile(
    r"\b((unrelated|not related) to (sales ?force|sfdc)|nothing to do with (sales ?force|sfdc)|"
    r"not (a )?(sales ?force|sfdc)[- ]related|non[- ](sales ?force|sfdc) (question|issue))\b",
    re.IGNORECASE,
)
# Hand-offs that a security, legal or platform team owns, whatever feature they mention: a
# compromised admin is not a login question, a DPA request is not a billing one.
_OWNED_BY_OTHER_TEAMS = frozenset({ReasonCode.SECURITY, ReasonCode.LEGAL})


def support_category(turn: Turn) -> str | None:
    """The message's fine support category from its understanding and its best articles;
    `other` for incidents and requests another team owns."""
    if (
        _owned_by_other_teams(turn)
        or _dialogue_act(turn)
        or _OTHER_TOPICS.search(turn.content)
        or _NOT_ABOUT_SALESFORCE.search(turn.content)
    ):
        return "other"
    if _mixed_deployment_test_failures(turn):
        return "deployment_metadata"
    scores: dict[str, float] = {}
    if turn.understanding is not None:
        nlu_scores = dict(turn.understanding.category.scores)
        if _act_about_salesforce(turn):
            # A complaint or a request for a person about seats, a Flow or an invoice: the
            # act's own category (`other`) says nothing about where the problem lives.
            nlu_scores.pop("other", None)
        total = sum(nlu_scores.values()) or 1.0
        for category, score in nlu_scores.items():
            scores[category] = NLU_CATEGORY_WEIGHT * score / total
    for rank, found in enumerate(turn.retrieved[:VOTING_ARTICLES]):
        category = found.article.category
        if category in SUPPORT_CATEGORIES:  # an imported file may name any category
            weight = ARTICLE_CATEGORY_WEIGHT * ARTICLE_RANK_DECAY**rank
            scores[category] = scores.get(category, 0.0) + weight
    if not scores:
        return turn.category
    return max(sorted(scores), key=lambda category: scores[category])


def _act_about_salesforce(turn: Turn) -> bool:
    return _read_as_dialogue_act(turn) and _names_salesforce(turn)


def _read_as_dialogue_act(turn: Turn) -> bool:
    """The top intent is a dialogue act (greeting, complaint, request for a person, ...)."""
    spec = turn.understanding.spec if turn.understanding is not None else None
    return spec is not None and spec.group == "DIALOGUE" and spec.name != "oos"


def _mixed_deployment_test_failures(turn: Turn) -> bool:
    """A deployment's test report failing on errors of several kinds: what to do about the
    deployment (which tests to run, how to get it through) is the question, not one error."""
    if turn.diagnosis is None or not _DEPLOYMENT_TEST_REPORT.search(turn.content):
        return False
    return len({match.entry.category for match in turn.diagnosis.errors}) > 1


def _dialogue_act(turn: Turn) -> bool:
    """A plain "connect me to a person" or "thanks", naming nothing of Salesforce: no
    article's category applies (a request for a person about a Flow keeps the Flow's)."""
    recognised = turn.diagnosis is not None and turn.diagnosis.found_anything
    return (
        _read_as_dialogue_act(turn)
        and (turn.confidence or 0.0) >= HANDOFF_INTENT_CONFIDENCE
        and not recognised
        and not _names_salesforce(turn)
    )


def _owned_by_other_teams(turn: Turn) -> bool:
    handoff = handoff_needed(turn)
    if handoff is None:
        return False
    return reason_code(handoff.reason, by_rule=False) in _OWNED_BY_OTHER_TEAMS


def needs_clarification(turn: Turn) -> bool:
    """A message the agent cannot place: out of scope for the intent model, nothing
    recognised in it. One question about what it concerns costs less than a guess."""
    if turn.diagnosis is not None and turn.diagnosis.found_anything:
        return False
    spec = turn.understanding.spec if turn.understanding is not None else None
    return spec is not None and spec.group == "DIALOGUE" and spec.name not in SMALL_TALK_INTENTS


def too_vague(turn: Turn) -> bool:
    """A short report of a technical failure with nothing to go on ("my deployment fails"):
    any article would be a guess, and the exact error settles it."""
    if turn.diagnosis is not None and turn.diagnosis.found_anything:
        return False
    spec = turn.understanding.spec if turn.understanding is not None else None
    if spec is None or spec.group != "TECHNICAL" or spec.category == "how_to_config":
        return False
    return _short_and_unspecific(turn)


def area_unknown(turn: Turn) -> bool:
    """A short failure report that names no area ("something is wrong"): which feature it
    concerns is the question that narrows it most."""
    spec = turn.understanding.spec if turn.understanding is not None else None
    if spec is None or spec.group == "DIALOGUE" or spec.category != "other":
        return False
    return _short_and_unspecific(turn)


def object_missing(turn: Turn, topic: Topic | None) -> bool:
    """A short access or sharing report that names no object ("users cannot see the
    records"): sharing is set per object, so which object is the question to ask."""
    spec = turn.understanding.spec if turn.understanding is not None else None
    if spec is None or spec.category != "permissions_sharing":
        return False
    if topic is not None and topic.slots.get("object"):
        return False
    return _short_and_unspecific(turn)


def unsure_of_intent(turn: Turn, topic: Topic | None) -> bool:
    """The intent model could not tell what this is and nothing was recognised in it: one
    question (which feature) before handing over, when none was asked yet."""
    if turn.understanding is None or (turn.confidence or 0.0) >= LOW_INTENT_CONFIDENCE:
        return False
    if turn.diagnosis is not None and turn.diagnosis.found_anything:
        return False
    return topic is None or topic.clarifications == 0


def named_area_only(turn: Turn, topic: Topic | None) -> bool:
    """The answer to "which feature?" names one ("Data Loader") and nothing more: the exact
    error is the next question."""
    if topic is None or topic.asked != "feature" or topic.category in (None, "other"):
        return False
    return _short_and_unspecific(turn)


def _short_and_unspecific(turn: Turn) -> bool:
    if turn.diagnosis is not None and turn.diagnosis.found_anything:
        return False
    if _names_any(turn, SPECIFIC_ENTITIES):
        return False
    return len(turn.content.split()) <= VAGUE_MAX_WORDS


def still_missing_error(turn: Turn, topic: Topic | None) -> bool:
    """The assistant asked for the exact error and the answer (an endpoint, an object) still
    holds none: asking again, acknowledging what it added, beats a guess."""
    if topic is None or topic.asked != "error" or topic.slots.get("error"):
        return False
    if turn.diagnosis is not None and turn.diagnosis.found_anything:
        return False
    return len(turn.content.split()) <= SHORT_ANSWER_WORDS


def clarification_exhausted(topic: Topic | None) -> bool:
    """Asked enough: the next step is a person, not another question."""
    if topic is None:
        return False
    return (
        topic.failed_clarifications >= MAX_CLARIFICATIONS
        or topic.clarifications >= MAX_QUESTIONS_PER_TOPIC
    )


def technical_level(turn: Turn) -> TechnicalLevel:
    """What the user told about themselves, then pasted code, queries or logs (an expert);
    plain questions get the fuller version."""
    stated = turn.memory.slots.get("technical_level") if turn.memory is not None else None
    if stated == TechnicalLevel.BEGINNER.value:
        return TechnicalLevel.BEGINNER
    if stated == TechnicalLevel.EXPERT.value:
        return TechnicalLevel.EXPERT
    if turn.diagnosis is not None and turn.diagnosis.artifacts:
        return TechnicalLevel.EXPERT
    if _CODE_MARKERS.search(turn.content):
        return TechnicalLevel.EXPERT
    return TechnicalLevel.INTERMEDIATE


def emotional_strategy(turn: Turn) -> EmotionalStrategy:
    """The tone of the reply, from this message's emotion and the sentiment trajectory:
    angry → empathetic and a person on offer; frustrated or sliding → apologetic, fix first;
    confused → patient; pleased → brief; else professional."""
    emotion = turn.emotion or "neutral"
    sentiment = turn.sentiment or 0.0
    history = turn.memory.sentiments if turn.memory is not None else []
    if emotion == "anger":
        return EmotionalStrategy.EMPATHETIC_ESCALATE
    if emotion == "frustration" or sentiment <= -0.5 or sentiment_declining(history):
        return EmotionalStrategy.APOLOGETIC_EXPEDITE
    if emotion == "confusion":
        return EmotionalStrategy.CLARIFYING
    if emotion == "joy" and sentiment > 0.3:
        return EmotionalStrategy.REINFORCING
    return EmotionalStrategy.PROFESSIONAL


def spiralling(history: list[float]) -> bool:
    """Each of the last turns more upset than the one before, ending strongly negative:
    another automated answer would make it worse."""
    return sentiment_declining(history) and history[-1] <= SPIRAL_SENTIMENT


def sentiment_declining(history: list[float]) -> bool:
    """The last turns' sentiment fell steadily and ends negative."""
    recent = history[-TRAJECTORY_TURNS:]
    if len(recent) < TRAJECTORY_TURNS or recent[-1] >= 0:
        return False
    steady = all(later <= earlier for earlier, later in itertools.pairwise(recent))
    return steady and recent[0] - recent[-1] >= SENTIMENT_DECLINE
