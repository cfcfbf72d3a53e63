"""Training, calibrated top-k prediction, out-of-scope detection and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from sfagent.nlu.intents import OOS_LABEL, Example, IntentConfig, IntentModel, evaluate

from .conftest import HashingEncoder


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I can't remember my password, please reset it", "password_reset"),
        ("the data export job keeps failing", "data_export"),
        ("we were charged twice, send the invoice", "billing_invoice"),
        ("my trigger throws System.NullPointerException", "apex_error"),
    ],
)
def test_known_requests_get_their_intent(model: IntentModel, text: str, intent: str) -> None:
    prediction = model.predict(text)
    assert prediction.intent == intent
    assert prediction.in_scope
    assert prediction.ranking[0].intent == intent


@pytest.mark.parametrize(
    "text", ["xqzv plmokn wubbadub", "what's a good recipe for lasagna", "who will win the cup"]
)
def test_gibberish_and_unrelated_text_are_out_of_scope(model: IntentModel, text: str) -> None:
    prediction = model.predict(text)
    assert prediction.intent == OOS_LABEL
    assert not prediction.in_scope


def test_ranking_is_top_k_in_scope_intents_best_first(model: IntentModel) -> None:
    prediction = model.predict("my dashboard report is blank", k=4)
    confidences = [score.confidence for score in prediction.ranking]
    assert len(prediction.ranking) == 4
    assert confidences == sorted(confidences, reverse=True)
    assert OOS_LABEL not in {score.intent for score in prediction.ranking}
    assert sum(confidences) <= 1.0 + 1e-9


def test_probabilities_are_a_distribution_over_labels(model: IntentModel) -> None:
    probabilities = model.probabilities(["export my data", "tell me a joke"])
    assert probabilities.shape == (2, len(model.labels))
    assert np.allclose(probabilities.sum(axis=1), 1.0)


def test_empty_message_is_out_of_scope_with_no_candidates(model: IntentModel) -> None:
    for text in ["", "   \n\t"]:
        prediction = model.predict(text)
        assert prediction.intent == OOS_LABEL and prediction.ranking == ()


def test_fifty_kilobyte_message_is_classified(model: IntentModel) -> None:
    text = ("my data export fails again " * 2000)[:50_000]
    prediction = model.predict(text)
    assert prediction.intent == "data_export"


def test_training_twice_gives_identical_models(examples: list[Example]) -> None:
    texts = ["reset my password", "the weekly export", "hello there", "invoice please"]
    first = IntentModel.train(examples).probabilities(texts)
    second = IntentModel.train(examples).probabilities(texts)
    assert np.array_equal(first, second)


def test_without_oos_examples_gibberish_is_still_rejected(examples: list[Example]) -> None:
    in_scope = [example for example in examples if example.intent != OOS_LABEL]
    model = IntentModel.train(in_scope)
    assert OOS_LABEL not in model.labels
    assert model.threshold > 0
    assert model.predict("qqqq zzzz xxxx").intent == OOS_LABEL
    assert model.predict("please reset my password").intent == "password_reset"


def test_two_intents_without_oos_train_a_binary_model() -> None:
    examples = [Example(f"reset password {i}", "password_reset") for i in range(6)]
    examples += [Example(f"export data file {i}", "data_export") for i in range(6)]
    model = IntentModel.train(examples, config=IntentConfig(folds=3))
    assert model.predict("password reset please").intent == "password_reset"
    assert model.predict("data export file").intent == "data_export"


def test_embeddings_and_neighbours_join_the_lexical_features(examples: list[Example]) -> None:
    config = IntentConfig(neighbour_weight=0.5)
    model = IntentModel.train(examples, config=config, encoder=HashingEncoder())
    assert model.semantic
    assert model.info["config"]["neighbour_weight"] == 0.5
    assert model.predict("I forgot my password").intent == "password_reset"


def test_evaluation_reports_every_figure(model: IntentModel, examples: list[Example]) -> None:
    test = [Example("reset my password now", "password_reset"), Example("bake a cake", "oos")]
    test += [Example("my invoice is wrong", "data_export")]  # a deliberate mistake
    figures = evaluate(model, test)
    assert figures["accuracy"] == pytest.approx(2 / 3)
    assert figures["in_scope_accuracy"] == pytest.approx(1 / 2)
    assert figures["oos_recall"] == 1.0 and figures["oos_precision"] == 1.0
    assert figures["confused_pairs"] == [["data_export", "billing_invoice", 1]]
    assert 0.0 <= figures["ece"] <= 1.0 and 0.0 <= figures["macro_f1"] <= 1.0
    assert figures["p99_ms"] >= figures["p50_ms"] > 0


def test_evaluation_without_oos_rows_reports_no_oos_recall(model: IntentModel) -> None:
    figures = evaluate(model, [Example("reset my password", "password_reset")])
    assert figures["oos_recall"] is None and figures["oos_precision"] is None
