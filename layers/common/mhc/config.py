"""Settings: every environment variable MHC reads, typed and validated once.

Secrets follow one rule: `NAME` holds the value (local use) or `NAME_PARAM` names an SSM
SecureString parameter (AWS), fetched on first use with Powertools `parameters` and cached.
Setting both is an error. Secret values are `SecretStr` so they never print by accident, and
each resolved value is registered with the redactor in `mhc.observability`.

A missing setting is explained in the words of the world the code runs in: locally the variable
and `.env`, in Lambda (`AWS_LAMBDA_FUNCTION_NAME` is set) the SSM parameter or the stack
parameter that feeds it. The owner reads these messages on the Jobs page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mhc.domain.analysis.hours import UnknownTimezone, zone
from mhc.domain.usernames import InvalidUsername, normalize_username

if TYPE_CHECKING:
    from mhc.domain.chat_import import FieldMap

REPO_ROOT = Path(__file__).resolve().parents[3]

#: Secret settings, by environment variable name.
SECRET_NAMES = (
    "DATABASE_URL",
    "MHC_API_TOKEN",
    "MHC_EVENTS_URL",
    "MHC_STATS_TOKEN",
    "MHC_STATBATE_TOKEN",
    "MHC_STATBATE_PLUS_SESSION",
    "MHC_STATBATE_PLUS_XSRF",
    "MHC_ORIGIN_SECRET",
)

_SSM_NAME = re.compile(r"^/?[A-Za-z0-9_.\-/]{1,2048}$")
_SECRET_CACHE_SECONDS = 300

#: Plain settings a use case may require: what the value is, and where the stack sets it.
_REQUIRABLE: dict[str, tuple[str, str]] = {
    "MHC_OWNER_USERNAME": ("the owner's Chaturbate username", "OwnerUsername"),
    "MHC_AFFILIATE_CAMPAIGN": ("the owner's affiliate code", "AffiliateCampaign"),
}

#: The API token guards everything the owner has; a short one can be guessed. `mhc init`
#: generates 43 characters (`secrets.token_urlsafe(32)`).
MIN_API_TOKEN_LENGTH = 32


class ConfigError(Exception):
    """A setting is missing or invalid. The message names the environment variable."""

    exit_code = 2


def _username(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_username(value)
    except InvalidUsername as exc:
        raise ValueError(str(exc)) from None


def _ssm_name(value: str | None) -> str | None:
    if value is not None and not _SSM_NAME.match(value):
        raise ValueError("must be an SSM parameter name such as /mhc/prod/api-token")
    return value


def _timezone(value: str) -> str:
    try:
        zone(value)
    except UnknownTimezone:
        raise ValueError("must be an IANA timezone such as Europe/Berlin or UTC") from None
    return value


def _field_map_text(value: str) -> str:
    """The override's JSON: the value itself when it is a JSON object, else a file's content."""
    if value.lstrip().startswith("{"):
        return value
    try:
        return Path(value).expanduser().read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"is neither a JSON object nor a readable file ({type(exc).__name__})"
        ) from None


def _field_map(value: str | None) -> str | None:
    if value is not None and value.strip():
        from mhc.domain.chat_import import FieldMapError, field_map_from_override

        try:
            field_map_from_override(_field_map_text(value))
        except FieldMapError as exc:
            raise ValueError(str(exc)) from None
    return value


def api_token_problem(value: str) -> str | None:
    """Why `value` cannot be the API token, or None when it can (an empty value means unset)."""
    if value and len(value) < MIN_API_TOKEN_LENGTH:
        return (
            f"must be at least {MIN_API_TOKEN_LENGTH} characters (it has {len(value)}); "
            "`mhc init` writes a strong one to .env"
        )
    return None


def _api_token(value: SecretStr | None) -> SecretStr | None:
    problem = api_token_problem(value.get_secret_value()) if value is not None else None
    if problem:
        raise ValueError(problem)
    return value


OptionalUsername = Annotated[str | None, AfterValidator(_username)]
Timezone = Annotated[str, AfterValidator(_timezone)]
OptionalSsmName = Annotated[str | None, AfterValidator(_ssm_name)]
ApiToken = Annotated[SecretStr | None, AfterValidator(_api_token)]
#: A PostgreSQL role name as MHC creates them (lower case, no quoting needed).
DbUsername = Annotated[str | None, Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")]


class Settings(BaseSettings):
    """All MHC settings. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        case_sensitive=False,
        extra="ignore",
        frozen=True,
    )

    # --- secrets: value (local) or *_PARAM (SSM SecureString name) ---
    database_url: SecretStr | None = None
    database_url_param: OptionalSsmName = None
    mhc_api_token: ApiToken = None
    mhc_api_token_param: OptionalSsmName = None
    mhc_events_url: SecretStr | None = None
    mhc_events_url_param: OptionalSsmName = None
    mhc_stats_token: SecretStr | None = None
    mhc_stats_token_param: OptionalSsmName = None
    mhc_statbate_token: SecretStr | None = None
    mhc_statbate_token_param: OptionalSsmName = None
    mhc_statbate_plus_session: SecretStr | None = None
    mhc_statbate_plus_session_param: OptionalSsmName = None
    mhc_statbate_plus_xsrf: SecretStr | None = None
    mhc_statbate_plus_xsrf_param: OptionalSsmName = None
    #: AWS: the value CloudFront adds to every API request (x-mhc-origin-verify); requests
    #: without it are refused. Comma-separated during a rotation. Unset (`mhc run`): no check.
    mhc_origin_secret: SecretStr | None = None
    mhc_origin_secret_param: OptionalSsmName = None

    # --- plain settings ---
    mhc_owner_username: OptionalUsername = None
    mhc_data_dir: Path = Field(default=REPO_ROOT / ".mhc")
    mhc_migrations_dir: Path = Field(default=REPO_ROOT / "migrations")
    mhc_session_merge_gap_minutes: int = Field(default=30, ge=0, le=24 * 60)
    #: The owner's timezone: hours of the week, usual hours and best hours are in it.
    mhc_owner_timezone: Timezone = "UTC"
    #: The zone of token-history export times written without an offset.
    mhc_token_history_timezone: Timezone = "UTC"  # noqa: S105 (a zone, not a token)
    mhc_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    mhc_host: str = "127.0.0.1"
    mhc_port: int = Field(default=8080, ge=1, le=65535)

    # --- external API clients ---
    mhc_stats_api_url: str = "https://chaturbate.com/statsapi/"
    mhc_affiliate_api_url: str = "https://chaturbate.com/api/public/affiliates/onlinerooms/"
    #: The owner's affiliate campaign code, sent as `wm`. Unset: the affiliate sweep is
    #: reported as "not configured".
    mhc_affiliate_campaign: str | None = Field(default=None, min_length=1, max_length=32)
    mhc_affiliate_page_delay_seconds: float = Field(default=0.75, ge=0, le=10)
    mhc_chaturbate_url: str = "https://chaturbate.com"
    mhc_profile_requests_per_minute: int = Field(default=25, ge=1, le=60)
    mhc_statbate_api_url: str = "https://plus.statbate.com/api"
    mhc_statbate_request_interval_seconds: float = Field(default=2.0, ge=0, le=60)
    #: Statbate Plus (chat import): the web app's base URL, its site slug for Chaturbate
    #: pages, the pause between requests, the field map override (a JSON object, or the path
    #: of a file holding one) and the local cookie jar (default: in MHC_DATA_DIR).
    mhc_statbate_plus_url: str = "https://plus.statbate.com"
    mhc_statbate_plus_site: str = Field(default="statbate", pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    mhc_statbate_plus_request_interval_seconds: float = Field(default=2.0, ge=0, le=60)
    mhc_statbate_plus_field_map: Annotated[str | None, AfterValidator(_field_map)] = None
    mhc_statbate_plus_cookie_file: Path | None = None
    mhc_http_connect_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    mhc_http_read_timeout_seconds: float = Field(default=30.0, gt=0, le=300)

    # --- API ---
    #: Browser origins allowed to call the API cross-origin, comma-separated (e.g.
    #: "https://mhc.example.com"). Empty (the default): same origin only, no CORS headers.
    mhc_cors_origins: str = Field(default="", max_length=2000)

    # --- events poller ---
    #: SSM SecureString holding the events cursor (AWS); unset = the local cursor file.
    mhc_events_cursor_param: OptionalSsmName = None
    mhc_events_cursor_file: Path = Field(default=REPO_ROOT / ".mhc" / "events-cursor.json")
    #: Longest time the Events API may hold one request (it allows 0..90 s).
    mhc_events_max_timeout_seconds: int = Field(default=30, ge=1, le=90)
    #: A chain with no progress for this long is restarted by the watchdog schedule.
    mhc_events_heartbeat_stale_seconds: int = Field(default=300, ge=60, le=24 * 3600)

    # --- scheduled jobs ---
    #: Time budget of `mhc jobs run` / `mhc jobs run-due` (a Lambda uses its own remaining time).
    mhc_jobs_local_budget_seconds: int = Field(default=240, ge=10, le=3600)
    #: AWS: the stats poller Lambda the API invokes when the owner asks to run a job now (set by
    #: the template). Unset: the job waits for the next scheduled tick.
    mhc_stats_poller_function: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Lambda function name"
    )
    #: AWS: the chat import Lambda the API invokes when the owner asks for a chat import now
    #: (set by the template). Unset: the import waits for the next hourly run.
    mhc_chat_import_function: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Lambda function name"
    )

    # --- database location (AWS) ---
    #: The Secrets Manager secret (RDS's JSON username/password) of the user to connect as;
    #: with MHC_DB_HOST the URL is built from it. DATABASE_URL / DATABASE_URL_PARAM win when set.
    mhc_db_secret_arn: str | None = Field(default=None, min_length=20, max_length=2048)
    #: Or (the template's DatabaseCredentials=ssm): an SSM SecureString holding the password of
    #: MHC_DB_USERNAME.
    mhc_db_password_param: OptionalSsmName = None
    mhc_db_username: DbUsername = None
    mhc_db_host: str | None = Field(default=None, min_length=1, max_length=255)
    mhc_db_port: int = Field(default=5432, ge=1, le=65535)
    mhc_db_name: str = Field(default="mhc", min_length=1, max_length=63)
    #: Connecting through RDS Proxy: no server-side prepared statements (they pin connections).
    mhc_db_proxy: bool = False
    #: The migrate function only: the Secrets Manager secret (JSON username/password) of the
    #: application's least-privilege role, which it creates or updates after migrating ...
    mhc_app_db_secret_arn: str | None = Field(default=None, min_length=20, max_length=2048)
    #: ... or the SSM SecureString holding that role's password (the migrate function writes a
    #: generated one when the parameter does not exist), and the role's name.
    mhc_app_db_password_param: OptionalSsmName = None
    mhc_app_db_username: DbUsername = None

    # --- where we run ---
    #: Set by AWS Lambda in every function; tells error messages to speak of SSM and the stack.
    aws_lambda_function_name: str | None = None

    @model_validator(mode="after")
    def _one_source_per_secret(self) -> Settings:
        for name in SECRET_NAMES:
            field = name.lower()
            if getattr(self, field) is not None and getattr(self, f"{field}_param") is not None:
                raise ValueError(f"set either {name} or {name}_PARAM, not both")
        for prefix in ("MHC_DB", "MHC_APP_DB"):
            field = prefix.lower()
            if getattr(self, f"{field}_password_param") is None:
                continue
            if getattr(self, f"{field}_secret_arn") is not None:
                raise ValueError(f"set either {prefix}_SECRET_ARN or {prefix}_PASSWORD_PARAM")
            if getattr(self, f"{field}_username") is None:
                raise ValueError(f"{prefix}_PASSWORD_PARAM needs {prefix}_USERNAME")
        return self

    def secret(self, name: str) -> str | None:
        """The value of secret `name` (e.g. "MHC_API_TOKEN"), or None when neither form is set."""
        if name not in SECRET_NAMES:
            raise KeyError(name)
        field = name.lower()
        direct: SecretStr | None = getattr(self, field)
        value: str | None
        if direct is not None:
            value = direct.get_secret_value()
        else:
            param: str | None = getattr(self, f"{field}_param")
            value = _fetch_ssm_secret(param, name) if param is not None else None
            if name == "MHC_API_TOKEN" and value and (problem := api_token_problem(value)):
                raise ConfigError(f"{name}_PARAM ({param}): the token {problem}")
        if value:
            from mhc.observability import register_secret

            register_secret(value)
        return value or None

    @property
    def in_lambda(self) -> bool:
        """Running as an AWS Lambda function (else locally: `mhc run`, the CLI, tests)."""
        return self.aws_lambda_function_name is not None

    def require_secret(self, name: str) -> str:
        value = self.secret(name)
        if value is None:
            raise ConfigError(self._not_set(name))
        return value

    def require_affiliate_campaign(self) -> str:
        return self.require("MHC_AFFILIATE_CAMPAIGN")

    @property
    def statbate_plus_cookie_file(self) -> Path:
        """The local Statbate Plus cookie jar (mode 0600)."""
        return (
            self.mhc_statbate_plus_cookie_file or self.mhc_data_dir / "statbate-plus-cookies.json"
        )

    def statbate_plus_field_map(self) -> FieldMap:
        """The chat import's field map: the default, with the override's keys replaced."""
        from mhc.domain.chat_import import DEFAULT_MAP, field_map_from_override

        value = self.mhc_statbate_plus_field_map
        if value is None or not value.strip():
            return DEFAULT_MAP
        return field_map_from_override(_field_map_text(value))

    def require_owner(self) -> str:
        return self.require("MHC_OWNER_USERNAME")

    def require(self, name: str) -> str:
        """The value of setting `name` (a secret or a requirable plain setting); ConfigError
        says how to set it when it is missing."""
        if name in SECRET_NAMES:
            return self.require_secret(name)
        if name not in _REQUIRABLE:
            raise KeyError(name)
        value: str | None = getattr(self, name.lower())
        if value is None:
            raise ConfigError(self._not_set(name))
        return value

    def unavailable(self, names: Iterable[str]) -> dict[str, str]:
        """Which of `names` cannot be had now, each with the reason. A value set directly is
        only checked for presence; an SSM parameter is read (cached), since only a read tells
        whether it exists yet."""
        problems: dict[str, str] = {}
        for name in names:
            try:
                self.require(name)
            except ConfigError as exc:
                problems[name] = str(exc)
        return problems

    def _not_set(self, name: str) -> str:
        what, stack_parameter = _REQUIRABLE.get(name, ("", ""))
        if not self.in_lambda:
            detail = f": {what}" if what else ""
            return f"{name} is not set (add it to .env or the environment{detail})"
        if name in SECRET_NAMES:
            return (
                f"{name}_PARAM is not set (the SSM SecureString parameter holding {name}; "
                "see docs/deploy.md)"
            )
        return f"{name} is not set ({what}: {stack_parameter} in samconfig.toml, then deploy)"


def _fetch_ssm_secret(parameter: str, setting: str) -> str:
    # Imported lazily: Powertools parameters pulls in boto3 (~0.2 s of cold start).
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_parameter(parameter, decrypt=True, max_age=_SECRET_CACHE_SECONDS)
    except Exception as exc:
        raise ConfigError(
            f"could not read SSM parameter {parameter} ({setting}_PARAM): {type(exc).__name__}"
            " (create it with aws ssm put-parameter, see docs/deploy.md)"
        ) from None
    return str(value)


def _describe(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()))
    name = location.upper() if location else "settings"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{name}: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Read and validate settings; a problem raises ConfigError naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(_describe(dict(e)) for e in exc.errors())
        raise ConfigError(f"invalid configuration: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call `get_settings.cache_clear()`)."""
    return load_settings()
