"""Configuration from the environment, validated once at start."""

from __future__ import annotations

import re
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from data.rates import Rate, parse_rate


class Settings(BaseSettings):
    """Every knob CardCharts reads. Unset DATABASE_URL / REDIS_URL mean 'embedded'."""

    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", validate_by_name=True, validate_by_alias=True
    )

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    data_dir: Path = Field(default=Path("var"), validation_alias="CARDCHARTS_DATA_DIR")
    secret_key: str | None = Field(default=None, validation_alias="SECRET_KEY")
    timescale: Literal["auto", "on", "off"] = Field(default="auto", validation_alias="CARDCHARTS_TIMESCALE")
    cache_ttl_seconds: int = Field(default=300, ge=1, le=86_400, validation_alias="CARDCHARTS_CACHE_TTL")
    host: str = Field(default="127.0.0.1", validation_alias="CARDCHARTS_HOST")
    port: int = Field(default=8050, ge=1, le=65_535, validation_alias="CARDCHARTS_PORT")
    web_workers: int = Field(default=2, ge=1, le=64, validation_alias="CARDCHARTS_WEB_WORKERS")
    sources: str = Field(default="scryfall,mtgjson,cardmarket,cardkingdom", validation_alias="CARDCHARTS_SOURCES")
    scryfall_every_hours: float = Field(default=24, gt=0, validation_alias="CARDCHARTS_SCRYFALL_EVERY_HOURS")
    mtgjson_every_hours: float = Field(default=24, gt=0, validation_alias="CARDCHARTS_MTGJSON_EVERY_HOURS")
    cardmarket_every_hours: float = Field(default=24, gt=0, validation_alias="CARDCHARTS_CARDMARKET_EVERY_HOURS")
    cardkingdom_every_hours: float = Field(default=6, gt=0, validation_alias="CARDCHARTS_CARDKINGDOM_EVERY_HOURS")
    tcgplayer_every_minutes: float = Field(default=30, gt=0, validation_alias="CARDCHARTS_TCGPLAYER_EVERY_MINUTES")
    ws_origins: str = Field(default="", validation_alias="CARDCHARTS_WS_ORIGINS")
    ws_heartbeat_seconds: float = Field(default=30, gt=0, validation_alias="CARDCHARTS_WS_HEARTBEAT_SECONDS")
    tcgplayer_public_key: str | None = Field(default=None, validation_alias="TCGPLAYER_PUBLIC_KEY")
    tcgplayer_private_key: str | None = Field(default=None, validation_alias="TCGPLAYER_PRIVATE_KEY")
    db_statement_timeout_ms: int = Field(
        default=5000, ge=0, le=3_600_000, validation_alias="CARDCHARTS_DB_STATEMENT_TIMEOUT_MS"
    )
    outlier_multiple: float = Field(default=5.0, gt=1, le=1000, validation_alias="CARDCHARTS_OUTLIER_MULTIPLE")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="CARDCHARTS_LOG_LEVEL"
    )
    api_rate_limit: str = Field(default="120/minute", validation_alias="CARDCHARTS_API_RATE_LIMIT")
    export_rate_limit: str = Field(default="30/minute", validation_alias="CARDCHARTS_EXPORT_RATE_LIMIT")
    trusted_proxies: str = Field(default="", validation_alias="CARDCHARTS_TRUSTED_PROXIES")
    embed_origins: str = Field(default="", validation_alias="CARDCHARTS_EMBED_ORIGINS")
    # Image renderer processes per web worker (each one Chromium, ~150 MB, rendering one image at a time).
    export_renderers: int = Field(default=1, ge=1, le=8, validation_alias="CARDCHARTS_EXPORT_RENDERERS")
    # Tests and local development only: networks (e.g. "127.0.0.0/8") that alert webhooks may call despite the
    # private-address guard, over plain http too. Empty (the default) in production.
    webhook_allow_private: str = Field(default="", validation_alias="CARDCHARTS_WEBHOOK_ALLOW_PRIVATE")
    # Session cookies are Secure (sent over HTTPS only) unless this is set: for a server reached over
    # plain http other than on localhost (`cardcharts run` sets it when it binds a loopback address).
    insecure_cookies: bool = Field(default=False, validation_alias="CARDCHARTS_INSECURE_COOKIES")
    session_hours: float = Field(default=336, gt=0, le=24 * 366, validation_alias="CARDCHARTS_SESSION_HOURS")
    login_failures: int = Field(default=10, ge=1, le=1000, validation_alias="CARDCHARTS_LOGIN_FAILURES")
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60, validation_alias="CARDCHARTS_LOGIN_WINDOW_MINUTES")
    # Scryfall's API, asked by "refresh one card now" (tests point it at a local server); and how often a
    # user may ask it, per user: Scryfall updates prices once a day and asks clients to be sparing.
    scryfall_api_url: str = Field(default="https://api.scryfall.com", validation_alias="CARDCHARTS_SCRYFALL_API_URL")
    refresh_rate_limit: str = Field(default="10/hour", validation_alias="CARDCHARTS_REFRESH_RATE_LIMIT")

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
            raise ValueError("must be a PostgreSQL URL such as postgresql://user@host:5432/cardcharts")
        return "postgresql+psycopg://" + value.split("://", 1)[1]

    @field_validator("redis_url")
    @classmethod
    def _redis_only(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a Redis URL such as redis://host:6379/0 or unix:///path/redis.sock")
        return value

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: str) -> str:
        known = {"scryfall", "mtgjson", "cardmarket", "cardkingdom"}
        wanted = [name.strip() for name in value.split(",") if name.strip()]
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise ValueError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return ",".join(wanted)

    @field_validator("api_rate_limit", "export_rate_limit")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        return str(parse_rate(value))

    @field_validator("refresh_rate_limit")
    @classmethod
    def _a_refresh_rate(cls, value: str) -> str:
        return str(parse_rate(value))

    @field_validator("scryfall_api_url")
    @classmethod
    def _an_http_base(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be an http(s) base URL such as https://api.scryfall.com")
        return value.strip().rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: str) -> str:
        for entry in _entries(value):
            try:
                ip_network(entry, strict=False)
            except ValueError:
                message = f"{entry!r} is not an IP address or network (10.0.0.1, 10.0.0.0/8, fd00::/8)"
                raise ValueError(message) from None
        return value

    @field_validator("embed_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        entries = _entries(value)
        if "*" in entries and len(entries) > 1:
            raise ValueError("'*' (any site) stands alone: give '*' or a list of origins, not both")
        for entry in entries:
            if entry != "*" and not (_ORIGIN.fullmatch(entry) and _port_ok(entry)):
                raise ValueError(
                    f"{entry!r} is not an origin: give scheme and host only, e.g. https://blog.example.com"
                    " or http://localhost:8000 (no path, no trailing slash)"
                )
        return ",".join(entries)

    @property
    def embed_frame_origins(self) -> tuple[str, ...]:
        """Origins besides our own whose pages may frame the embeds (`("*",)`: any)."""
        return tuple(_entries(self.embed_origins))

    @property
    def failed_login_rate(self) -> Rate:
        """Failed logins allowed per client address, and per email, in the sliding window."""
        return Rate(self.login_failures, self.login_window_minutes * 60)

    @property
    def api_rate(self) -> Rate:
        return parse_rate(self.api_rate_limit)

    @property
    def export_rate(self) -> Rate:
        return parse_rate(self.export_rate_limit)

    @property
    def refresh_rate(self) -> Rate:
        """Card refreshes from Scryfall allowed per user in the sliding window."""
        return parse_rate(self.refresh_rate_limit)

    @property
    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """The proxies whose X-Forwarded-For is believed (a bare address is a one-address network)."""
        return tuple(ip_network(entry, strict=False) for entry in _entries(self.trusted_proxies))

    @property
    def enabled_sources(self) -> list[str]:
        """The configured sources, and TCGplayer whenever its API credentials are set."""
        names = [name for name in self.sources.split(",") if name]
        if self.tcgplayer_public_key and self.tcgplayer_private_key and "tcgplayer" not in names:
            names.append("tcgplayer")
        return names

    @property
    def allowed_ws_origins(self) -> list[str]:
        """Origins besides our own whose pages may open /ws ('*' for any)."""
        return [origin.strip().rstrip("/") for origin in self.ws_origins.split(",") if origin.strip()]

    @property
    def celery_broker_url(self) -> str:
        """REDIS_URL as Celery's transport spells it (a Unix socket is redis+socket://)."""
        url = self.redis_url or ""
        return "redis+socket://" + url.removeprefix("unix://") if url.startswith("unix://") else url

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise ValueError(
                "must be at least 32 characters: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return value


# An origin as CSP source expressions take it: http(s), a DNS name or IPv4 address (a leading "*." for
# subdomains), an optional port. Nothing that could end the directive (";", ",", spaces, quotes).
_ORIGIN = re.compile(
    r"https?://(\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(:\d{1,5})?"
)


def _port_ok(origin: str) -> bool:
    try:
        return urlsplit(origin).port != 0
    except ValueError:  # over 65535
        return False


def _entries(value: str) -> list[str]:
    return [entry.strip() for entry in value.split(",") if entry.strip()]


class ConfigError(Exception):
    """A bad environment value, with a message fit to print."""


def load_settings(**overrides: object) -> Settings:
    """Read the environment; raise ConfigError naming each bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            variable = str(error["loc"][0]).upper() if error["loc"] else "?"
            lines.append(f"  {variable}: {error['msg']}")
        raise ConfigError("invalid configuration:\n" + "\n".join(lines)) from None
