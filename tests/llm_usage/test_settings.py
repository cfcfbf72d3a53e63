"""SFAGENT_LLM_PROVIDERS / SFAGENT_LLM_PRICES and the tiers' monthly LLM budgets."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sfagent import cli
from sfagent.config import TierLimits, load_settings
from sfagent.errors import ConfigurationError

PROVIDERS = [
    {
        "kind": "openai",
        "model": "gpt-4o-mini",
        "api_key": "sk-live-very-secret",
        "base_url": "http://llm-user:hunter2@vllm.internal:8000/v1",
        "max_attempts": 2,
        "max_tokens_field": "max_completion_tokens",
    },
    {"kind": "anthropic", "model": "claude-haiku", "timeout": 5},
]


def test_providers_and_prices_are_read_from_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFAGENT_LLM_PROVIDERS", json.dumps(PROVIDERS))
    monkeypatch.setenv(
        "SFAGENT_LLM_PRICES",
        json.dumps({"openai:gpt-4o-mini": {"input_per_million": 0.15, "output_per_million": 0.6}}),
    )

    settings = load_settings()

    primary, secondary = settings.llm_providers
    assert (primary.kind, primary.model, primary.max_attempts) == ("openai", "gpt-4o-mini", 2)
    assert primary.max_tokens_field == "max_completion_tokens"
    assert primary.api_key is not None
    assert primary.api_key.get_secret_value() == "sk-live-very-secret"
    assert (secondary.kind, secondary.timeout, secondary.api_key) == ("anthropic", 5.0, None)
    assert secondary.cool_down == 30.0 and secondary.failure_threshold == 5
    price = settings.llm_prices["openai:gpt-4o-mini"]
    assert (price.input_per_million, price.output_per_million) == (0.15, 0.6)


def test_no_providers_by_default() -> None:
    settings = load_settings()
    assert (settings.llm_providers, settings.llm_prices) == ([], {})


def test_unknown_provider_kind_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFAGENT_LLM_PROVIDERS", json.dumps([{"kind": "gemini", "model": "x"}]))

    with pytest.raises(ConfigurationError) as raised:
        load_settings()

    message = raised.value.message
    assert message.startswith("invalid setting SFAGENT_LLM_PROVIDERS__0__KIND:")
    assert "'openai' or 'anthropic'" in message


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ('[{"kind": "openai",', "SFAGENT_LLM_PROVIDERS: must be JSON"),
        ('[{"kind": "openai", "model": "m", "max_attempt": 2}]', "MAX_ATTEMPT"),
        ('[{"kind": "openai"}]', "SFAGENT_LLM_PROVIDERS__0__MODEL"),
    ],
    ids=["malformed", "misspelt-field", "missing-model"],
)
def test_bad_provider_list_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, value: str, fragment: str
) -> None:
    monkeypatch.setenv("SFAGENT_LLM_PROVIDERS", value)

    with pytest.raises(ConfigurationError, match=fragment):
        load_settings()


def test_api_key_is_masked_in_config_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFAGENT_LLM_PROVIDERS", json.dumps(PROVIDERS))

    result = CliRunner().invoke(cli.app, ["config", "show", "--json"])

    assert result.exit_code == 0, result.output
    assert "sk-live-very-secret" not in result.output
    assert "hunter2" not in result.output
    shown = json.loads(result.output)["llm_providers"]
    assert shown[0]["api_key"] == "********"
    assert shown[0]["base_url"] == "http://llm-user:********@vllm.internal:8000/v1"
    assert shown[1]["api_key"] is None
    assert shown[0]["model"] == "gpt-4o-mini"


def test_tiers_carry_monthly_llm_budgets() -> None:
    tiers = load_settings().tiers
    budgets = {name: tiers[name].llm_monthly_budget_usd for name in tiers}
    assert budgets == {"free": 5.0, "standard": 200.0, "enterprise": None}


def test_tier_defined_without_a_budget_still_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SFAGENT_TIERS__GOLD__REQUESTS_PER_MINUTE", "7")
    monkeypatch.setenv("SFAGENT_TIERS__STANDARD__LLM_MONTHLY_BUDGET_USD", "50")
    limits = TierLimits(
        requests_per_minute=1,
        end_user_requests_per_minute=1,
        concurrent_conversations=1,
        max_message_length=1,
        retention_days=1,
        inactivity_timeout_minutes=1,
    )

    tiers = load_settings().tiers

    assert limits.llm_monthly_budget_usd == 5.0
    assert (tiers["gold"].requests_per_minute, tiers["gold"].llm_monthly_budget_usd) == (7, 5.0)
    assert tiers["standard"].llm_monthly_budget_usd == 50.0
