"""Typed settings, read once from the environment and `.env`."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.channels.whatsapp_templates import Templates, parse_languages, parse_names
from core.languages import SUPPORTED_LANGUAGES, check_timezone

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")


class SettingsError(Exception):
    """A setting has a bad value; the message names the variable and the problem."""


class Settings(BaseSettings):
    """Every setting Aksi reads; each is documented in `.env.example` and the README."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr = SecretStr("")
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    database_url: str = "sqlite+aiosqlite:///aksi.db"
    aksi_default_timezone: str = "Asia/Makassar"
    aksi_default_language: str = "id"
    aksi_admin_ids: Annotated[tuple[int, ...], NoDecode] = Field(default=())
    # The bot's @username, for personal join links made without the bot running (the CLI).
    aksi_bot_username: str = ""
    aksi_log_level: str = "INFO"
    # "text" (one readable line a record) or "json" (one JSON object a line, for a collector).
    aksi_log_format: str = "text"
    # Telegram's overall limit for a bot (messages a second); 0 turns Aksi's own limiter off,
    # e.g. for a local Bot API server or paid broadcasts.
    aksi_max_messages_per_second: float = Field(default=30.0, ge=0, le=1000)
    # How much the round trip to Telegram varies, ± ms (a ping of 150 ± 50 ms: 50). A message
    # reaches Telegram up to half of that early or late, so the pacer counts every second that
    # much longer at each end and a server counting arrivals in a strict one-second window
    # never sees more than the limit (50: 30 a second leaves as about 28). 0 on loopback.
    aksi_network_jitter_ms: float = Field(default=50.0, ge=0, le=1000)
    # How often the reminder job looks for due reminders; 0 turns the job off.
    aksi_reminder_tick_seconds: float = Field(default=60.0, ge=0, le=3600)
    # After downtime, reminders due at most this long ago are still sent; older are skipped.
    aksi_reminder_catch_up_minutes: int = Field(default=60, ge=0, le=24 * 60)
    # Processes that draw pictures (heatmaps, charts) beside the bot, so drawing never slows
    # anyone's reply; 0 draws in a thread of the bot's own process.
    aksi_render_processes: int = Field(default=1, ge=0, le=16)
    # `aksi serve`: where its HTTP server listens (Telegram's webhook, health, metrics), the
    # public HTTPS URL Telegram posts updates to (its path is the one served), and the secret
    # Telegram sends with each post.
    aksi_http_host: str = "127.0.0.1"
    aksi_http_port: int = Field(default=8080, ge=1, le=65535)
    aksi_webhook_url: str = ""
    aksi_webhook_secret: SecretStr = SecretStr("")
    # WhatsApp's Cloud API (on when the phone number id, token, app secret and verify token
    # are all set): Meta posts to `/whatsapp` on `aksi serve`'s server.
    whatsapp_phone_number_id: str = ""
    whatsapp_access_token: SecretStr = SecretStr("")
    whatsapp_app_secret: SecretStr = SecretStr("")
    whatsapp_verify_token: SecretStr = SecretStr("")
    whatsapp_business_account_id: str = ""
    # The number people write to, digits with the country code (wa.me join links).
    whatsapp_display_number: str = ""
    # Where the Graph API is (tests and a local stand-in point it elsewhere).
    whatsapp_api_base_url: str = "https://graph.facebook.com"
    # Approved templates for messages outside the 24-hour window, kind=name (`aksi whatsapp
    # templates` lists the kinds and prints the texts to submit), and their languages.
    whatsapp_templates: str = ""
    whatsapp_template_languages: str = "id"
    # The number's throughput (Meta: 80 a second by default, raised up to 1,000), and the
    # seconds between messages to one person in a bulk send (Meta's pair limit, 131056).
    whatsapp_messages_per_second: int = Field(default=80, ge=1, le=1000)
    whatsapp_pair_seconds: float = Field(default=6.0, ge=0, le=60)
    # What Meta charges a message, for the estimate in an announcement's preview: a free
    # message inside the 24-hour window ("service") and a template outside it ("utility").
    whatsapp_price_service: float = Field(default=0.0, ge=0, le=1_000_000)
    whatsapp_price_utility: float = Field(default=0.0, ge=0, le=1_000_000)
    whatsapp_currency: str = Field(default="IDR", pattern=r"^[A-Z]{3}$")

    @field_validator("aksi_http_host")
    @classmethod
    def _http_host(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"[A-Za-z0-9.:_-]{1,253}", value):
            raise ValueError(f"{value[:60]!r} is not a host name or IP address")
        return value

    @field_validator("aksi_webhook_url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        value = value.strip()
        if value:
            check_webhook_url(value)
        return value

    @field_validator("aksi_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value().strip()
        # Telegram's rule for secret_token; never echo the secret itself.
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret):
            raise ValueError("must be 16-256 characters: letters, digits, _ or -")
        return SecretStr(secret)

    @field_validator(
        "whatsapp_phone_number_id", "whatsapp_business_account_id", "whatsapp_display_number"
    )
    @classmethod
    def _whatsapp_number(cls, value: str) -> str:
        value = value.strip().removeprefix("+")
        if value and not re.fullmatch(r"[0-9]{5,20}", value):
            raise ValueError(f"{value[:40]!r} is not a number (digits only)")
        return value

    @field_validator("whatsapp_access_token", "whatsapp_app_secret", "whatsapp_verify_token")
    @classmethod
    def _whatsapp_secret(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value().strip()
        if secret and not re.fullmatch(r"[\x21-\x7e]{8,1024}", secret):
            raise ValueError("must be 8-1024 printable characters without spaces")
        return SecretStr(secret)

    @field_validator("whatsapp_api_base_url")
    @classmethod
    def _whatsapp_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s/]+", value):
            raise ValueError(f"{value[:80]!r} is not an http(s) URL without a path")
        return value

    @field_validator("whatsapp_templates")
    @classmethod
    def _whatsapp_templates(cls, value: str) -> str:
        parse_names(value)
        return value.strip()

    @field_validator("whatsapp_template_languages")
    @classmethod
    def _whatsapp_template_languages(cls, value: str) -> str:
        return ",".join(parse_languages(value))

    @property
    def whatsapp_template_set(self) -> Templates:
        return Templates(
            parse_names(self.whatsapp_templates), parse_languages(self.whatsapp_template_languages)
        )

    @model_validator(mode="after")
    def _whatsapp_whole(self) -> Settings:
        given = {
            "WHATSAPP_PHONE_NUMBER_ID": bool(self.whatsapp_phone_number_id),
            "WHATSAPP_ACCESS_TOKEN": bool(self.whatsapp_access_token.get_secret_value()),
            "WHATSAPP_APP_SECRET": bool(self.whatsapp_app_secret.get_secret_value()),
            "WHATSAPP_VERIFY_TOKEN": bool(self.whatsapp_verify_token.get_secret_value()),
        }
        # With WhatsApp on, invitations, mentors' links and roster links open wa.me/<this
        # number> (alone it is enough for `aksi participants links --whatsapp`).
        if any(given.values()):
            given["WHATSAPP_DISPLAY_NUMBER"] = bool(self.whatsapp_display_number)
        if any(given.values()) and not all(given.values()):
            missing = ", ".join(name for name, set_ in given.items() if not set_)
            raise ValueError(f"WhatsApp is half configured: set {missing} too")
        return self

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.whatsapp_phone_number_id)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        if token and not _TOKEN_RE.match(token):
            # Never echo the token: the message only says what shape is expected.
            raise ValueError(
                "does not look like a BotFather token (digits, ':', then 20+ characters)"
            )
        return SecretStr(token)

    @field_validator("telegram_api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value.strip())
        except ArgumentError:
            raise ValueError(f"{value!r} is not a database URL") from None
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"driver {url.drivername!r} is not supported; use one of "
                + ", ".join(SUPPORTED_DRIVERS)
            )
        return value.strip()

    @field_validator("aksi_default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value.strip())

    @field_validator("aksi_default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"{value!r} is not one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("aksi_bot_username")
    @classmethod
    def _bot_username(cls, value: str) -> str:
        return check_bot_username(value) if value.strip() else ""

    @field_validator("aksi_log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError(f"{value!r} is not one of DEBUG, INFO, WARNING, ERROR")
        return value

    @field_validator("aksi_log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("text", "json"):
            raise ValueError(f"{value[:20]!r} is not one of text, json")
        return value

    @field_validator("aksi_admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> tuple[int, ...]:
        if isinstance(value, tuple | list):
            return tuple(int(v) for v in value)
        ids: list[int] = []
        for part in str(value or "").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise ValueError(f"{part!r} is not a Telegram user id (digits only)")
            ids.append(int(part))
        return tuple(ids)

    @property
    def token(self) -> str:
        return self.telegram_bot_token.get_secret_value()

    @property
    def webhook_secret(self) -> str:
        return self.aksi_webhook_secret.get_secret_value()

    @property
    def webhook_path(self) -> str:
        """The path of AKSI_WEBHOOK_URL: where the server takes Telegram's posts."""
        return urlsplit(self.aksi_webhook_url).path


_LOOPBACK = ("localhost", "127.0.0.1", "::1")
TELEGRAM_PORTS = (443, 80, 88, 8443)  # the only ports Telegram posts a webhook to


def check_webhook_url(url: str) -> str:
    """The public URL Telegram posts updates to: HTTPS (plain HTTP only to this machine, for a
    local Bot API server or tests), a host, and a path of its own (not "/": the server also
    answers /healthz and /metrics)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{url[:80]!r} is not an https:// URL")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ValueError(f"{url[:80]!r}: Telegram posts only to https:// URLs")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url[:80]!r} has a bad port") from None
    if parts.scheme == "https" and port not in (None, *TELEGRAM_PORTS):
        raise ValueError(f"{url[:80]!r}: Telegram posts only to ports 443, 80, 88 or 8443")
    if parts.path in ("", "/") or parts.path in ("/healthz", "/readyz", "/metrics"):
        raise ValueError(f"{url[:80]!r} needs a path of its own (e.g. /telegram/<random>)")
    if parts.query or parts.fragment:
        raise ValueError(f"{url[:80]!r}: no query or fragment, only a path")
    return url


def check_bot_username(name: str) -> str:
    """A bot's username without its '@' (5-32 letters, digits or _, ending in 'bot')."""
    name = name.strip().removeprefix("@")
    if not re.fullmatch(r"[A-Za-z0-9_]{5,32}", name) or not name.lower().endswith("bot"):
        raise ValueError(
            f"{name[:40]!r} is not a bot username (5-32 letters, digits or _, ending in 'bot')"
        )
    return name


def load_settings(**overrides: object) -> Settings:
    """Load settings once; a bad value raises SettingsError with one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{field}: {message}" if first["loc"] else message) from None
