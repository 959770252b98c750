import boto3
import pytest
from mhc import cli
from mhc.config import MIN_API_TOKEN_LENGTH, ConfigError, get_settings, load_settings
from mhc.observability import redact
from moto import mock_aws


def test_defaults_load_without_any_environment() -> None:
    settings = load_settings()
    assert settings.mhc_owner_username is None
    assert settings.secret("MHC_API_TOKEN") is None
    assert settings.mhc_port == 8080


def test_owner_username_is_case_folded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MHC_OWNER_USERNAME", "Some_Owner")
    assert load_settings().require_owner() == "some_owner"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MHC_OWNER_USERNAME", "not valid!"),
        ("MHC_PORT", "eighty"),
        ("MHC_PORT", "70000"),
        ("MHC_SESSION_MERGE_GAP_MINUTES", "-5"),
        ("MHC_LOG_LEVEL", "LOUD"),
        ("MHC_API_TOKEN_PARAM", "not a parameter name"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert name in str(info.value)


def test_a_short_api_token_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MHC_API_TOKEN", "short")
    with pytest.raises(ConfigError, match=r"MHC_API_TOKEN: must be at least 32 characters"):
        load_settings()
    # The value itself never appears in the message
    monkeypatch.setenv("MHC_API_TOKEN", "x" * (MIN_API_TOKEN_LENGTH - 1))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "x" * 10 not in str(info.value)


def test_an_api_token_of_the_minimum_length_is_accepted_and_empty_means_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MHC_API_TOKEN", "k" * MIN_API_TOKEN_LENGTH)
    assert load_settings().secret("MHC_API_TOKEN") == "k" * MIN_API_TOKEN_LENGTH
    monkeypatch.setenv("MHC_API_TOKEN", "")
    assert load_settings().secret("MHC_API_TOKEN") is None


@mock_aws
def test_a_short_api_token_in_ssm_is_refused_naming_the_parameter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name="/mhc/test/api-token", Value="short-in-ssm", Type="SecureString")
    monkeypatch.setenv("MHC_API_TOKEN_PARAM", "/mhc/test/api-token")
    with pytest.raises(ConfigError, match="MHC_API_TOKEN_PARAM") as info:
        load_settings().secret("MHC_API_TOKEN")
    assert "short-in-ssm" not in str(info.value)


def test_value_and_parameter_together_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MHC_STATS_TOKEN", "abc")
    monkeypatch.setenv("MHC_STATS_TOKEN_PARAM", "/mhc/stats")
    with pytest.raises(ConfigError, match="MHC_STATS_TOKEN or MHC_STATS_TOKEN_PARAM"):
        load_settings()


def test_locally_a_missing_setting_is_named_with_where_to_put_it_and_no_aws_words() -> None:
    # Given settings outside Lambda (no AWS_LAMBDA_FUNCTION_NAME)
    settings = load_settings()
    assert settings.in_lambda is False
    messages = []
    for require in (
        lambda: settings.require_secret("MHC_STATS_TOKEN"),
        settings.require_owner,
        settings.require_affiliate_campaign,
    ):
        with pytest.raises(ConfigError) as info:
            require()
        messages.append(str(info.value))
    # Then each message names the variable and .env, never SSM or a *_PARAM
    for message, name in zip(
        messages, ("MHC_STATS_TOKEN", "MHC_OWNER_USERNAME", "MHC_AFFILIATE_CAMPAIGN"), strict=True
    ):
        assert message.startswith(f"{name} is not set")
        assert ".env" in message
        assert "SSM" not in message
        assert "_PARAM" not in message


def test_in_lambda_a_missing_setting_names_the_ssm_parameter_or_the_stack_parameter() -> None:
    settings = load_settings(aws_lambda_function_name="mhc-prod-stats-poller")
    assert settings.in_lambda is True
    with pytest.raises(ConfigError) as secret:
        settings.require_secret("MHC_STATS_TOKEN")
    with pytest.raises(ConfigError) as owner:
        settings.require_owner()
    assert "MHC_STATS_TOKEN_PARAM" in str(secret.value)
    assert "SSM" in str(secret.value)
    assert ".env" not in str(secret.value)
    assert "OwnerUsername" in str(owner.value)


def test_unavailable_names_each_missing_setting_without_reading_direct_values() -> None:
    settings = load_settings(mhc_stats_token="direct-stats-token", mhc_owner_username=None)
    missing = settings.unavailable(["MHC_OWNER_USERNAME", "MHC_STATS_TOKEN", "MHC_STATBATE_TOKEN"])
    assert list(missing) == ["MHC_OWNER_USERNAME", "MHC_STATBATE_TOKEN"]
    assert missing["MHC_STATBATE_TOKEN"].startswith("MHC_STATBATE_TOKEN is not set")
    assert settings.unavailable([]) == {}
    with pytest.raises(KeyError):
        settings.unavailable(["MHC_NO_SUCH_SETTING"])


@mock_aws
def test_unavailable_reads_an_ssm_parameter_to_know_it_exists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the token's SSM parameter named but not created yet (AWS, before put-parameter)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    settings = load_settings(
        mhc_stats_token_param="/mhc/test/later", aws_lambda_function_name="mhc-stats"
    )
    [reason] = settings.unavailable(["MHC_STATS_TOKEN"]).values()
    assert "/mhc/test/later" in reason
    assert "MHC_STATS_TOKEN_PARAM" in reason
    # When the owner creates it, the next check finds it (a failed read is not cached)
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name="/mhc/test/later", Value="now-there", Type="SecureString"
    )
    assert settings.unavailable(["MHC_STATS_TOKEN"]) == {}


def test_secret_values_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MHC_API_TOKEN", "very-secret-api-token-0123456789abcdef")
    settings = load_settings()
    assert "very-secret-api-token-0123456789abcdef" not in repr(settings)
    assert "very-secret-api-token-0123456789abcdef" not in str(settings.model_dump())
    assert settings.secret("MHC_API_TOKEN") == "very-secret-api-token-0123456789abcdef"
    # Once resolved, the value is redacted wherever it appears.
    assert "very-secret-api-token-0123456789abcdef" not in redact(
        "token very-secret-api-token-0123456789abcdef in a message"
    )


@mock_aws
def test_param_form_reads_an_ssm_securestring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name="/mhc/test/stats", Value="ssm-stats-token", Type="SecureString")
    monkeypatch.setenv("MHC_STATS_TOKEN_PARAM", "/mhc/test/stats")
    assert load_settings().secret("MHC_STATS_TOKEN") == "ssm-stats-token"


@mock_aws
def test_missing_ssm_parameter_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("MHC_STATS_TOKEN_PARAM", "/mhc/test/absent")
    with pytest.raises(ConfigError, match="/mhc/test/absent"):
        load_settings().secret("MHC_STATS_TOKEN")


def test_cli_exits_2_with_one_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MHC_PORT", "nope")
    get_settings.cache_clear()
    assert cli.main(["db-url"]) == 2
    err = capsys.readouterr().err
    assert "MHC_PORT" in err
    assert err.count("\n") == 1
