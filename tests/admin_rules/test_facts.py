"""build_facts: the engine's facts from an understanding, the conversation and overrides."""

from __future__ import annotations

from dataclasses import dataclass, field

from sfagent.admin_rules.facts import build_facts, fact_errors, issue_type
from sfagent.rules import FIELDS, RuleSet, parse_rule
from tests.rules.documents import example


@dataclass(frozen=True)
class Intent:
    intent: str
    confidence: float = 0.9


@dataclass(frozen=True)
class Category:
    category: str
    group: str


@dataclass(frozen=True)
class Entity:
    type: str
    value: str


@dataclass(frozen=True)
class Sentiment:
    score: float


@dataclass(frozen=True)
class Emotion:
    label: str
    intensity: int


@dataclass(frozen=True)
class Language:
    code: str


@dataclass(frozen=True)
class Understood:
    intent: Intent = Intent("payment_issue", 0.87654)
    intents: tuple[Intent, ...] = (Intent("payment_issue"),)
    category: Category = Category("billing_account", "BILLING")
    priority: float = 0.8
    entities: tuple[Entity, ...] = ()
    sentiment: Sentiment = Sentiment(-0.81234)
    emotion: Emotion = Emotion("anger", 4)
    language: Language = Language("en")


@dataclass(frozen=True)
class Spec:
    category: str
    group: str


@dataclass
class Catalog:
    specs: dict[str, Spec] = field(default_factory=dict)

    def get(self, intent: str) -> Spec | None:
        return self.specs.get(intent)


CATALOG = Catalog(
    {
        "payment_issue": Spec("billing_account", "BILLING"),
        "complaint": Spec("other", "DIALOGUE"),
        "mfa_issue": Spec("authentication_login", "ACCOUNT"),
    }
)


def test_facts_carry_every_understood_field_by_its_engine_name() -> None:
    entities = (
        Entity("RECORD_ID", "001000000000001AAA"),
        Entity("RECORD_ID", "001000000000001AAA"),
        Entity("ERROR", "UNABLE_TO_LOCK_ROW"),
    )
    facts = build_facts(Understood(entities=entities), customer_tier="enterprise", channel="web")

    assert facts == {
        "intent": "payment_issue",
        "intents": ["payment_issue"],
        "confidence": 0.8765,
        "category": "billing_account",
        "group": "BILLING",
        "issue_type": "billing",
        "priority": 0.8,
        "sentiment_score": -0.8123,
        "emotion": "anger",
        "emotion_intensity": 4,
        "language": "en",
        "entities": {"RECORD_ID": ["001000000000001AAA"], "ERROR": ["UNABLE_TO_LOCK_ROW"]},
        "customer_tier": "enterprise",
        "channel": "web",
    }
    assert set(facts) <= set(FIELDS)


def test_the_example_rule_fires_on_facts_from_an_angry_enterprise_billing_message() -> None:
    rules = RuleSet([parse_rule(example())])
    facts = build_facts(Understood(), customer_tier="enterprise")
    assert [r.rule_id for r in rules.evaluate(facts).fired] == ["RULE-ESC-001"]
    calm = build_facts(Understood(sentiment=Sentiment(0.2)), customer_tier="enterprise")
    assert rules.evaluate(calm).fired == ()


def test_without_an_understanding_only_given_facts_are_known() -> None:
    facts = build_facts(
        None,
        customer_tier="standard",
        message_count=3,
        clarification_count=0,
        business_hours=False,
        state="active",
        tags=["vip", "vip", "beta"],
    )
    assert facts == {
        "customer_tier": "standard",
        "message_count": 3,
        "clarification_count": 0,
        "business_hours": False,
        "state": "active",
        "tags": ["vip", "beta"],
    }


def test_overrides_win_and_none_removes_a_fact() -> None:
    facts = build_facts(
        Understood(),
        customer_tier="free",
        overrides={"customer_tier": "enterprise", "emotion": None, "entities": {"URL": ["x"]}},
    )
    assert facts["customer_tier"] == "enterprise"
    assert "emotion" not in facts
    assert facts["entities"] == {"URL": ["x"]}


def test_issue_type_is_security_for_sign_in_and_access_problems() -> None:
    mfa = Understood(category=Category("authentication_login", "ACCOUNT"))
    sharing = Understood(category=Category("permissions_sharing", "ACCOUNT"))
    data = Understood(category=Category("data_import_export", "DATA"))
    assert [issue_type(u) for u in (mfa, sharing, data)] == ["security", "security", "data"]


def test_a_complaint_takes_its_issue_type_from_what_it_is_about() -> None:
    complaint = Understood(
        intent=Intent("complaint"),
        intents=(Intent("complaint"), Intent("payment_issue")),
        category=Category("other", "DIALOGUE"),
    )
    assert issue_type(complaint, CATALOG) == "billing"
    assert issue_type(complaint) == "dialogue"  # without the catalog nothing says more
    locked = Understood(intents=(Intent("mfa_issue"),), category=Category("other", "DIALOGUE"))
    assert issue_type(locked, CATALOG) == "security"
    only_talk = Understood(intents=(Intent("complaint"),), category=Category("other", "DIALOGUE"))
    assert issue_type(only_talk, CATALOG) == "dialogue"


def test_fact_errors_name_each_bad_override() -> None:
    errors = fact_errors(
        {
            "sentiment_score": "low",
            "business_hours": 1,
            "tags": ["ok", 3],
            "emotion_intensity": 2.5,
            "intent": "fine",
            "weather": "rain",
            "channel": None,
        }
    )
    assert [error["path"] for error in errors] == [
        "facts.sentiment_score",
        "facts.business_hours",
        "facts.tags",
        "facts.emotion_intensity",
        "facts.weather",
    ]
    assert fact_errors({"odd key": 1})[0]["path"] == "facts['odd key']"
