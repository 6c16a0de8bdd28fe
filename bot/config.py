"""Settings from the environment and a `.env` file (see CONTRACT.md)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.paths import package_folder

BUNDLED_QUIZ_DIR = package_folder("quizzes")
DEFAULT_QUIZ_ID = "nk-arms-article"


def _parse_ids(value: object) -> frozenset[int]:
    if value is None or value == "":
        return frozenset()
    if isinstance(value, int):
        return frozenset({value})
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        try:
            return frozenset(int(p) for p in parts)
        except ValueError as exc:
            raise ValueError("must be comma-separated Telegram user ids, like 123,456") from exc
    if isinstance(value, list | set | frozenset | tuple):
        return frozenset(int(v) for v in value)
    raise ValueError("must be comma-separated Telegram user ids")


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field(default="https://api.telegram.org", alias="TELEGRAM_API_URL")
    database_url: str = Field(default="sqlite:///quizbot.db", alias="DATABASE_URL")
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), alias="QUIZBOT_ADMIN_IDS"
    )
    instructor_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), alias="QUIZBOT_INSTRUCTOR_IDS"
    )
    followup_delay_scale: float = Field(default=1.0, ge=0.0, alias="QUIZBOT_FOLLOWUP_DELAY_SCALE")
    # Seconds between follow-up dispatcher passes (each pass sends everything due).
    dispatch_interval: float = Field(default=30.0, gt=0, alias="QUIZBOT_DISPATCH_INTERVAL")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", alias="QUIZBOT_LOG_LEVEL"
    )
    log_format: Literal["text", "json"] = Field(default="text", alias="QUIZBOT_LOG_FORMAT")
    round_size: int = Field(default=5, ge=1, le=50, alias="QUIZBOT_ROUND_SIZE")
    # Telegram allows about 30 messages a second overall; raise it only for benchmarks of the
    # bot's own capacity against a local fake server (or for a bot with paid broadcasts).
    max_send_rate: float = Field(default=30.0, gt=0, alias="QUIZBOT_MAX_SEND_RATE")
    quiz_dir: Path = Field(default=BUNDLED_QUIZ_DIR, alias="QUIZBOT_QUIZ_DIR")
    # Webhook mode (`quizbot webhook`); the command-line options override these.
    webhook_url: str | None = Field(default=None, alias="QUIZBOT_WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, alias="QUIZBOT_WEBHOOK_SECRET")
    webhook_listen: str = Field(default="127.0.0.1", alias="QUIZBOT_WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8080, ge=0, le=65535, alias="QUIZBOT_WEBHOOK_PORT")
    webhook_max_connections: int = Field(
        default=40, ge=1, le=100, alias="QUIZBOT_WEBHOOK_MAX_CONNECTIONS"
    )
    allowed_updates: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("message", "callback_query", "my_chat_member"), alias="QUIZBOT_ALLOWED_UPDATES"
    )
    webhook_lanes: int = Field(default=16, ge=1, le=256, alias="QUIZBOT_WEBHOOK_LANES")
    inbox_lease_seconds: float = Field(default=60.0, gt=0, alias="QUIZBOT_INBOX_LEASE_SECONDS")
    shutdown_timeout: float = Field(default=20.0, ge=0, alias="QUIZBOT_SHUTDOWN_TIMEOUT")
    # Webhook workers on PostgreSQL share one bucket of QUIZBOT_MAX_SEND_RATE messages a
    # second; this many may go at once after a quiet spell.
    send_burst: float = Field(default=5.0, ge=1, alias="QUIZBOT_SEND_BURST")

    # Processed updates hold users' names and messages; they are kept this long after they
    # were processed (for a late duplicate, and to look into a failure), then deleted. At
    # least an hour: a webhook update Telegram retries after a later one was processed must
    # still find the later one's row, or the watermark left by pruning would swallow it.
    update_retention_hours: float = Field(
        default=24.0, ge=1.0, alias="QUIZBOT_UPDATE_RETENTION_HOURS"
    )

    # The per-user limit at intake: updates one user may send at once, and then a second
    # (domain/flood.py says why 20 and 1).
    user_burst: float = Field(default=20.0, ge=1.0, alias="QUIZBOT_USER_BURST")
    user_rate: float = Field(default=1.0, gt=0.0, alias="QUIZBOT_USER_RATE")

    @field_validator("allowed_updates", mode="before")
    @classmethod
    def _update_kinds(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return value

    @field_validator("admin_ids", "instructor_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> frozenset[int]:
        return _parse_ids(value)

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @cached_property
    def async_database_url(self) -> str:
        """The database URL with the async driver SQLAlchemy needs."""
        return to_async_url(self.database_url)

    def token(self) -> str:
        """The bot token, or raise ConfigError with a one-line message."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise TokenMissingError("TELEGRAM_BOT_TOKEN is not set; get one from @BotFather")
        return self.telegram_bot_token.get_secret_value().strip()


class ConfigError(Exception):
    """The configuration cannot work; the message is for the operator (in English: the
    command line words each kind in the terminal's language)."""


class TokenMissingError(ConfigError):
    """TELEGRAM_BOT_TOKEN is not set."""


class BadSettingError(ConfigError):
    """A setting's value is refused; `detail` is the validator's reason."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"bad setting {name}: {detail}")
        self.name = name
        self.detail = detail


def to_async_url(url: str) -> str:
    """Map plain `sqlite://` and `postgresql://` URLs to their async drivers."""
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def load_settings() -> Settings:
    """Read settings, turning validation errors into a ConfigError."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = first["loc"][0] if first["loc"] else "setting"
        raise BadSettingError(str(name), first["msg"]) from None
