"""The answer-quality case files, concept matching, and the scorer."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import sfagent
from sfagent.nlu.catalog import SUPPORT_CATEGORIES
from sfagent.pipeline.eval_cli import SHIPPED_SETS
from sfagent.responder.answer_eval import (
    AnswerCase,
    AnswerCaseError,
    AnswerOutcome,
    load_answer_cases,
    mentions,
    missing_concepts,
    score_answers,
)

EVAL_DIR = Path(sfagent.__file__).parent / "data" / "eval"
DEV = EVAL_DIR / "answers_dev.jsonl"
HOLDOUT = EVAL_DIR / "answers_holdout.jsonl"


# --------------------------------------------------------------------------- the shipped files


@pytest.fixture(scope="module")
def dev() -> list[AnswerCase]:
    return load_answer_cases(DEV)


@pytest.fixture(scope="module")
def holdout() -> list[AnswerCase]:
    return load_answer_cases(HOLDOUT)


def test_files_are_large_enough(dev: list[AnswerCase], holdout: list[AnswerCase]) -> None:
    assert len(dev) >= 120
    assert len(holdout) >= 30


def test_every_category_appears_at_least_four_times_in_dev(dev: list[AnswerCase]) -> None:
    counts = Counter(case.category for case in dev)
    assert {name: counts[name] for name in SUPPORT_CATEGORIES if counts[name] < 4} == {}


def test_holdout_covers_every_category(holdout: list[AnswerCase]) -> None:
    assert {case.category for case in holdout} == set(SUPPORT_CATEGORIES)


@pytest.fixture(scope="module")
def every_set() -> dict[str, list[AnswerCase]]:
    return {name: load_answer_cases(EVAL_DIR / file) for name, file in SHIPPED_SETS.items()}


def test_blind_sets_cover_every_category(every_set: dict[str, list[AnswerCase]]) -> None:
    for name, cases in every_set.items():
        if name.startswith("independent"):
            counts = Counter(case.category for case in cases)
            assert len(cases) >= 100, name
            assert {c: counts[c] for c in SUPPORT_CATEGORIES if counts[c] < 6} == {}, name


def test_ids_unique_and_messages_distinct_across_files(
    every_set: dict[str, list[AnswerCase]],
) -> None:
    everything = [case for cases in every_set.values() for case in cases]
    ids = Counter(case.id for case in everything)
    assert [case_id for case_id, n in ids.items() if n > 1] == []
    messages = Counter(" ".join(case.message.lower().split()) for case in everything)
    assert [message for message, n in messages.items() if n > 1] == []


def test_every_file_has_escalations_and_provenance(
    every_set: dict[str, list[AnswerCase]],
) -> None:
    for cases in every_set.values():
        escalations = sum(case.should_escalate for case in cases)
        assert 0 < escalations < len(cases) / 2
        assert all(case.source_hint.strip() for case in cases)


def test_concepts_are_not_already_in_the_question(
    dev: list[AnswerCase], holdout: list[AnswerCase]
) -> None:
    """At least one concept per case must come from the answer, not from echoing the question.
    (Our own sets only: the blind sets are kept as their authors wrote them; a few of their
    cases can be passed by a reply that repeats the question's terms.)"""
    cases = dev + holdout
    echoed = [case.id for case in cases if not missing_concepts(case.message, case.must_mention)]
    assert echoed == []


# --------------------------------------------------------------------------- loading errors


def write_case(tmp_path: Path, **changes: object) -> Path:
    case: dict[str, object] = {
        "id": "c-1",
        "message": "Too many SOQL queries: 101",
        "category": "governor_limit",
        "must_mention": ["soql", "bulkify|bulk"],
        "should_escalate": False,
    }
    case.update(changes)
    for key in [key for key, value in case.items() if value is None]:
        del case[key]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n" + json.dumps(case) + "\n", encoding="utf-8")
    return path


def test_valid_case_loads(tmp_path: Path) -> None:
    [case] = load_answer_cases(write_case(tmp_path, source_hint="help article: x"))
    assert case.must_mention == ("soql", "bulkify|bulk")
    assert case.source_hint == "help article: x"
    assert case.to_dict()["must_mention"] == ["soql", "bulkify|bulk"]


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"category": "apex"}, "category", "unknown category"),
        ({"must_mention": ["soql"]}, "must_mention", "2-4 concepts"),
        ({"must_mention": ["a", "b", "c", "d", "e"]}, "must_mention", "2-4 concepts"),
        ({"must_mention": ["SOQL", "loop"]}, "must_mention", "not lowercase"),
        ({"must_mention": ["soql", "loop|"]}, "must_mention", "empty alternative"),
        ({"must_mention": ["soql", "soql"]}, "must_mention", "repeat"),
        ({"must_mention": "soql, loop"}, "must_mention", "list"),
        ({"should_escalate": "no"}, "should_escalate", "true or false"),
        ({"message": "  "}, "message", "non-empty"),
        ({"message": None}, "message", "missing"),
        ({"id": "Bad Id"}, "id", "lowercase"),
        ({"must_mentions": ["x", "y"]}, "must_mentions", "unknown field"),
    ],
)
def test_invalid_case_names_file_line_and_field(
    tmp_path: Path, changes: dict[str, object], field: str, problem: str
) -> None:
    path = write_case(tmp_path, **changes)
    with pytest.raises(AnswerCaseError) as caught:
        load_answer_cases(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:2: {field}: ")
    assert problem in message


def test_invalid_json_and_duplicate_ids_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(AnswerCaseError, match=r"broken\.jsonl:1: invalid JSON"):
        load_answer_cases(path)

    line = json.dumps(
        {
            "id": "same",
            "message": "m",
            "category": "other",
            "must_mention": ["a", "b"],
            "should_escalate": False,
        }
    )
    path.write_text(line + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(AnswerCaseError, match=r":2: id: 'same' already used on line 1"):
        load_answer_cases(path)


# --------------------------------------------------------------------------- mentions


@pytest.mark.parametrize(
    ("reply", "concept"),
    [
        ("Move the SOQL query out of the loop.", "soql"),
        ("Bulkified triggers avoid this.", "bulkify"),
        ("This is called bulkification.", "bulkify"),
        ("Run fewer queries.", "query"),
        ("Use a Queueable job.", "future|queueable"),
        ("The error UNABLE_TO_LOCK_ROW means", "unable to lock row"),
        ("Call Test.setMock in the test.", "setmock"),
        ("Turn on multifactor authentication.", "multi-factor"),
        ("Turn on multi-factor authentication.", "multifactor"),
        ("The record is read-only after save.", "read only"),
        ("Share the record with the group.", "sharing"),
        ("Check the Sharing Rules.", "sharing rule"),
        ("Most APIs count.", "api"),
        ("You need at least 75% coverage.", "75"),
        ("Use Database.Stateful.", "database stateful"),
    ],
)
def test_mentions_matches(reply: str, concept: str) -> None:
    assert mentions(reply, concept)


@pytest.mark.parametrize(
    ("reply", "concept"),
    [
        ("mysoql is not a word", "soql"),
        ("An apiary keeps bees.", "api"),
        ("Roll back the rollback.", "role"),
        ("Limit is 1010 here.", "101"),
        ("Roll back, then query.", "query plan"),
        ("plan the query", "query plan"),
        ("", "soql"),
        ("Use a future method.", "queueable"),
    ],
)
def test_mentions_rejects(reply: str, concept: str) -> None:
    assert not mentions(reply, concept)


def test_missing_concepts_keeps_order() -> None:
    reply = "Bulkify the trigger: one SOQL query for all records."
    assert missing_concepts(reply, ["loop", "soql", "map|maps"]) == ["loop", "map|maps"]


# --------------------------------------------------------------------------- scoring


def case(case_id: str, category: str, concepts: list[str], *, escalate: bool = False) -> AnswerCase:
    return AnswerCase(
        id=case_id,
        message=f"question {case_id}",
        category=category,
        must_mention=tuple(concepts),
        should_escalate=escalate,
    )


CASES = [
    case("a", "governor_limit", ["soql", "loop"]),
    case("b", "governor_limit", ["soql", "bulkify|bulk"]),
    case("c", "billing_account", ["refund", "person|human"], escalate=True),
    case("d", "other", ["trust|status", "person|human"], escalate=True),
    case("e", "soql_error", ["selective", "index"]),
]
OUTCOMES: list[AnswerOutcome | tuple[str, str, bool]] = [
    AnswerOutcome("governor_limit", "Move the SOQL query out of the loop.", False),
    ("governor_limit", "Bulkify: one query for all records.", True),
    ("billing_account", "I have asked a person on the billing team to handle your refund.", True),
    ("authentication_login", "Check the trust status page.", False),
    ("governor_limit", "Make the filter selective so it can use an index.", False),
]


def test_score_answers_known_numbers() -> None:
    score = score_answers(CASES, OUTCOMES)
    assert score.total == 5
    assert score.category_correct == 3
    assert score.category_accuracy == pytest.approx(0.6)
    # a, c and e mention every concept; b misses "soql", d misses "person|human".
    assert score.all_mentioned == 3
    assert score.must_mention_recall == pytest.approx(0.6)
    assert score.concept_recall == pytest.approx(8 / 10)
    assert score.per_concept["soql"].mentioned == 1
    assert score.per_concept["soql"].required == 2
    assert score.per_concept["person|human"].rate == pytest.approx(0.5)

    escalation = score.escalation
    assert (escalation.true_positives, escalation.false_positives) == (1, 1)
    assert (escalation.false_negatives, escalation.true_negatives) == (1, 2)
    assert escalation.precision == pytest.approx(0.5)
    assert escalation.recall == pytest.approx(0.5)
    assert escalation.f1 == pytest.approx(0.5)

    governor = score.per_category["governor_limit"]
    assert (governor.cases, governor.predicted, governor.category_correct) == (2, 3, 2)
    assert governor.accuracy == pytest.approx(1.0)
    assert governor.precision == pytest.approx(2 / 3)
    assert governor.must_mention_recall == pytest.approx(0.5)
    assert score.per_category["soql_error"].accuracy == 0.0
    assert score.per_category["authentication_login"].cases == 0
    assert list(score.per_category) == [
        "governor_limit",
        "soql_error",
        "authentication_login",
        "billing_account",
        "other",
    ]
    assert [result.id for result in score.failures] == ["b", "d", "e"]


def test_to_dict_is_json_safe_and_rounded() -> None:
    data = score_answers(CASES, OUTCOMES).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["category_accuracy"] == 0.6
    assert data["escalation"]["f1"] == 0.5
    assert data["per_category"]["governor_limit"]["precision"] == 0.6667
    assert data["failures"][0] == {
        "id": "b",
        "expected_category": "governor_limit",
        "predicted_category": "governor_limit",
        "missing": ["soql"],
        "should_escalate": False,
        "escalated": True,
        "passed": False,
    }


def test_escalation_scores_without_positives() -> None:
    cases = [case("x", "other", ["a", "b"])]
    score = score_answers(cases, [("other", "a b", False)])
    assert score.escalation.precision == 1.0
    assert score.escalation.recall == 1.0
    assert score.escalation.f1 == 1.0
    assert score.failures == ()


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="5 cases but 1 outcomes"):
        score_answers(CASES, OUTCOMES[:1])
