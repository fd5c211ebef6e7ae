"""Configuration in one place: environment variables (and `.env`) with safe defaults."""

import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ALLOWED_EXTENSIONS = "png,jpg,jpeg,gif,webp,pdf,txt,csv,json,zip"
# Values that must never sign tokens in production.
WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development", "your-secret-key"}
# A production secret has at least 32 characters, of at least this many different ones: a
# random hex string has about 16, "changeme" x 4 has 6, 32 spaces 1.
MIN_SECRET_SYMBOLS = 10
APP_ENVS = ("development", "production")
MAX_REQUEST_TIMEOUT = 60  # seconds: REQUEST_HEAD_TIMEOUT / REQUEST_READ_TIMEOUT at most
# Rate limits ("N per second|minute|hour|day"); what each counts: api/http/ratelimit/__init__.py.
RATE_LIMIT_DEFAULTS = {
    "ADDRESS_RATE_LIMIT": "6000 per minute",
    "USER_RATE_LIMIT": "6000 per minute",
    "LOGIN_RATE_LIMIT": "10 per minute",
    "LOGIN_IP_RATE_LIMIT": "100 per minute",
    "REGISTER_RATE_LIMIT": "500 per hour",
    "CHANGE_PASSWORD_RATE_LIMIT": "30 per hour",
    "REFRESH_RATE_LIMIT": "120 per minute",
    "UPLOAD_RATE_LIMIT": "60 per minute",
    "PASSWORD_RESET_RATE_LIMIT": "30 per hour",
}


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalize_database_url(url: str) -> str:
    """Accept the common `postgres://` spellings and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def server_settings() -> dict[str, Any]:
    """What gunicorn.conf.py needs before any app exists: port, workers, threads, log level."""
    load_dotenv(ROOT / ".env")
    env = os.environ.get
    for name in ("REQUEST_HEAD_TIMEOUT", "REQUEST_READ_TIMEOUT"):
        # 0 would drop every client; past a minute, stalled clients hold the threads again.
        if not 0 < float(env(name, "10")) <= MAX_REQUEST_TIMEOUT:
            raise RuntimeError(f"{name} must be more than 0 and at most {MAX_REQUEST_TIMEOUT} s")
    return {
        "PORT": int(env("FLASK_RUN_PORT", "5000")),
        "WORKERS": int(env("WEB_CONCURRENCY", "2")),
        "THREADS": int(env("GUNICORN_THREADS", "8")),
        "LOG_LEVEL": env("LOG_LEVEL", "info").lower(),
        # Deadlines on a client sending its request (api/http/worker.py), in seconds.
        "REQUEST_HEAD_TIMEOUT": float(env("REQUEST_HEAD_TIMEOUT", "10")),
        "REQUEST_READ_TIMEOUT": float(env("REQUEST_READ_TIMEOUT", "10")),
    }


def load_config() -> dict[str, Any]:
    """Read the environment once; `create_app(config)` overrides any key afterwards."""
    load_dotenv(ROOT / ".env")
    env = os.environ.get
    data_dir = Path(env("DATA_DIR", str(ROOT / "data")))
    max_upload_mb = int(env("MAX_UPLOAD_MB", "16"))
    redis_url = env("REDIS_URL")
    return {
        "APP_ENV": env("APP_ENV", "development"),
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": env("SECRET_KEY"),
        "JWT_SECRET_KEY": env("JWT_SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(
            env("DATABASE_URL", f"sqlite:///{data_dir / 'app.db'}")
        ),
        "UPLOAD_FOLDER": env("UPLOAD_FOLDER", str(data_dir / "uploads")),
        "MAX_UPLOAD_MB": max_upload_mb,
        "ALLOWED_EXTENSIONS": env("ALLOWED_EXTENSIONS", DEFAULT_ALLOWED_EXTENSIONS),
        # Upload storage (api/storage/): `local` (UPLOAD_FOLDER) or `s3`.
        "STORAGE_BACKEND": env("STORAGE_BACKEND", "local").strip().lower(),
        "S3_ENDPOINT_URL": env("S3_ENDPOINT_URL"),
        "S3_BUCKET": env("S3_BUCKET"),
        "S3_REGION": env("S3_REGION"),
        "S3_ADDRESSING_STYLE": env("S3_ADDRESSING_STYLE", "auto"),
        "S3_CONNECT_TIMEOUT": float(env("S3_CONNECT_TIMEOUT", "2")),
        "S3_READ_TIMEOUT": float(env("S3_READ_TIMEOUT", "5")),
        "S3_MAX_ATTEMPTS": int(env("S3_MAX_ATTEMPTS", "2")),
        "UPLOAD_URL_EXPIRES": int(env("UPLOAD_URL_EXPIRES", "900")),
        "UPLOAD_QUOTA_FILES": int(env("UPLOAD_QUOTA_FILES", "1000")),
        "UPLOAD_QUOTA_MB": int(env("UPLOAD_QUOTA_MB", "1024")),
        # JSON bodies are small; only the upload route may accept MAX_UPLOAD_MB.
        "MAX_JSON_BYTES": int(env("MAX_JSON_BYTES", str(1024 * 1024))),
        "MAX_JSON_DEPTH": int(env("MAX_JSON_DEPTH", "32")),
        "ACCESS_TOKEN_EXPIRES": int(env("ACCESS_TOKEN_EXPIRES", "3600")),
        "REFRESH_TOKEN_EXPIRES": int(env("REFRESH_TOKEN_EXPIRES", str(14 * 24 * 3600))),
        "REFRESH_REUSE_INTERVAL": int(env("REFRESH_REUSE_INTERVAL", "5")),
        "JWT_ISSUER": env("JWT_ISSUER", "backend-auth"),
        "JWT_AUDIENCE": env("JWT_AUDIENCE", "backend-api"),
        "BCRYPT_ROUNDS": int(env("BCRYPT_ROUNDS", "12")),
        "ADMIN_USERNAME": env("ADMIN_USERNAME", "admin"),
        "ADMIN_PASSWORD": env("ADMIN_PASSWORD"),  # default: see finalize_config
        "ADMIN_EMAIL": env("ADMIN_EMAIL", "admin@example.com"),
        "CORS_ORIGINS": env("CORS_ORIGINS", "*"),
        "REDIS_URL": redis_url,
        "ADDRESS_RATE_LIMIT": env("ADDRESS_RATE_LIMIT", RATE_LIMIT_DEFAULTS["ADDRESS_RATE_LIMIT"]),
        "USER_RATE_LIMIT": env("USER_RATE_LIMIT", RATE_LIMIT_DEFAULTS["USER_RATE_LIMIT"]),
        "LOGIN_RATE_LIMIT": env("LOGIN_RATE_LIMIT", RATE_LIMIT_DEFAULTS["LOGIN_RATE_LIMIT"]),
        "LOGIN_IP_RATE_LIMIT": env(
            "LOGIN_IP_RATE_LIMIT", RATE_LIMIT_DEFAULTS["LOGIN_IP_RATE_LIMIT"]
        ),
        "REGISTER_RATE_LIMIT": env(
            "REGISTER_RATE_LIMIT", RATE_LIMIT_DEFAULTS["REGISTER_RATE_LIMIT"]
        ),
        "CHANGE_PASSWORD_RATE_LIMIT": env(
            "CHANGE_PASSWORD_RATE_LIMIT", RATE_LIMIT_DEFAULTS["CHANGE_PASSWORD_RATE_LIMIT"]
        ),
        "REFRESH_RATE_LIMIT": env("REFRESH_RATE_LIMIT", RATE_LIMIT_DEFAULTS["REFRESH_RATE_LIMIT"]),
        "UPLOAD_RATE_LIMIT": env("UPLOAD_RATE_LIMIT", RATE_LIMIT_DEFAULTS["UPLOAD_RATE_LIMIT"]),
        "PASSWORD_RESET_RATE_LIMIT": env(
            "PASSWORD_RESET_RATE_LIMIT", RATE_LIMIT_DEFAULTS["PASSWORD_RESET_RATE_LIMIT"]
        ),
        # Redis counts rate limits for every worker and instance; else a file under DATA_DIR.
        "RATELIMIT_STORAGE_URI": redis_url or "",
        # The API's public URL, listed first in the served spec's `servers` (SDK default host).
        "PUBLIC_BASE_URL": env("PUBLIC_BASE_URL", "").rstrip("/"),
        "RATELIMIT_ENABLED": _bool(env("RATELIMIT_ENABLED"), default=True),
        # Longest a new password hash may queue before a 503 (0: no bound, no login priority).
        "BCRYPT_MAX_WAIT": float(env("BCRYPT_MAX_WAIT", "0.5")),
        "PROXY_FIX_COUNT": int(env("PROXY_FIX_COUNT", "0")),
        "DB_POOL_SIZE": int(env("DB_POOL_SIZE", "10")),
        "DB_MAX_OVERFLOW": int(env("DB_MAX_OVERFLOW", "20")),
        # `pgbouncer`: a transaction-mode pooler sits between the app and PostgreSQL.
        "DATABASE_POOLER": env("DATABASE_POOLER", "none").strip().lower(),
        # A database that is down or saturated answers 503 in seconds, well inside gunicorn's
        # 30 s timeout: connecting, waiting for a pooled connection, running one statement.
        "DB_CONNECT_TIMEOUT": int(env("DB_CONNECT_TIMEOUT", "3")),
        "DB_STARTUP_WAIT": float(env("DB_STARTUP_WAIT", "30")),
        "DB_POOL_TIMEOUT": float(env("DB_POOL_TIMEOUT", "5")),
        "DB_STATEMENT_TIMEOUT_MS": int(env("DB_STATEMENT_TIMEOUT_MS", "20000")),
        "LOG_LEVEL": env("LOG_LEVEL", "INFO").upper(),
        # Set by gunicorn.conf.py before the app loads (prometheus_client reads it at import).
        "PROMETHEUS_MULTIPROC_DIR": env("PROMETHEUS_MULTIPROC_DIR") or None,
        # Bytes of rendered item list pages cached per worker (0 disables); api/http/page_cache.py.
        "LIST_CACHE_BYTES": int(env("LIST_CACHE_BYTES", str(8 * 1024 * 1024))),
        "METRICS_ENABLED": _bool(env("METRICS_ENABLED"), default=True),
        "METRICS_TOKEN": env("METRICS_TOKEN") or None,  # bearer token scrapers must send
        "METRICS_BIND": env("METRICS_BIND") or None,  # host:port of a separate metrics listener
        # Outgoing mail (password reset; api/services/mail.py): no SMTP_URL logs mail instead.
        "SMTP_URL": env("SMTP_URL") or None,
        "MAIL_FROM": env("MAIL_FROM", "Backend API <no-reply@localhost>"),
        "SMTP_TIMEOUT": float(env("SMTP_TIMEOUT", "10")),
        "MAIL_RETRY_SECONDS": int(env("MAIL_RETRY_SECONDS", "30")),
        "MAIL_MAX_ATTEMPTS": int(env("MAIL_MAX_ATTEMPTS", "8")),
        "PASSWORD_RESET_EXPIRES": int(env("PASSWORD_RESET_EXPIRES", "1800")),
        "PASSWORD_RESET_URL": env("PASSWORD_RESET_URL", ""),
        # Webhooks (api/webhooks/): SSRF guard, delivery timeouts, retry schedule, worker.
        "WEBHOOKS_ALLOW_PRIVATE": _bool(env("WEBHOOKS_ALLOW_PRIVATE")),
        "WEBHOOKS_TIMEOUT": float(env("WEBHOOKS_TIMEOUT", "10")),
        "WEBHOOKS_MAX_ATTEMPTS": int(env("WEBHOOKS_MAX_ATTEMPTS", "15")),
        "WEBHOOKS_BACKOFF_BASE": float(env("WEBHOOKS_BACKOFF_BASE", "30")),
        "WEBHOOKS_BACKOFF_MAX": float(env("WEBHOOKS_BACKOFF_MAX", "21600")),
        "WEBHOOKS_DISABLE_AFTER": int(env("WEBHOOKS_DISABLE_AFTER", "50")),
        "WEBHOOKS_LEASE_SECONDS": float(env("WEBHOOKS_LEASE_SECONDS", "60")),
        "WEBHOOKS_CONCURRENCY": int(env("WEBHOOKS_CONCURRENCY", "8")),
        "WEBHOOKS_POLL_INTERVAL": float(env("WEBHOOKS_POLL_INTERVAL", "0.5")),
        "WEBHOOKS_MAX_RESPONSE_BYTES": int(env("WEBHOOKS_MAX_RESPONSE_BYTES", "65536")),
        "WEBHOOKS_MAX_PER_USER": int(env("WEBHOOKS_MAX_PER_USER", "25")),
        "WEBHOOKS_RETENTION_DAYS": int(env("WEBHOOKS_RETENTION_DAYS", "30")),
        "WEBHOOKS_ROTATION_GRACE": int(env("WEBHOOKS_ROTATION_GRACE", "86400")),
    }


def finalize_config(config: dict[str, Any]) -> None:
    """Derive dependent settings and refuse an unsafe production configuration."""
    # A misspelt "Production " must not start as development (default admin password, a
    # generated secret, none of the refusals below): read loosely, anything else refused.
    given = str(config["APP_ENV"])
    config["APP_ENV"] = given.strip().lower()
    if config["APP_ENV"] not in APP_ENVS:
        raise RuntimeError(f"APP_ENV must be {' or '.join(APP_ENVS)}, not {given!r}")
    production = config["APP_ENV"] == "production"
    if not config.get("SECRET_KEY"):
        if production:
            raise RuntimeError("SECRET_KEY must be set when APP_ENV=production")
        config["SECRET_KEY"] = development_secret(Path(config["DATA_DIR"]))
    config["JWT_SECRET_KEY"] = config.get("JWT_SECRET_KEY") or config["SECRET_KEY"]
    if production:
        for key in ("SECRET_KEY", "JWT_SECRET_KEY"):
            if weak_secret(config[key]):
                raise RuntimeError(
                    f"{key} is a default, too short (< 32 chars) or too repetitive "
                    f"(< {MIN_SECRET_SYMBOLS} different characters) for production"
                )
        if not config["RATELIMIT_ENABLED"]:
            raise RuntimeError("RATELIMIT_ENABLED=false is for load tests only, not production")
    check_admin_password(config, production=production)
    check_storage_config(config)
    if production:
        refuse_open_metrics(config)
    if production and config["WEBHOOKS_ALLOW_PRIVATE"]:
        raise RuntimeError("WEBHOOKS_ALLOW_PRIVATE=true is for development and tests only")
    if config["WEBHOOKS_LEASE_SECONDS"] < config["WEBHOOKS_TIMEOUT"] + 2:
        raise RuntimeError("WEBHOOKS_LEASE_SECONDS must exceed WEBHOOKS_TIMEOUT by 2 s or more")
    upload_bytes = config["MAX_UPLOAD_MB"] * 1024 * 1024
    config["MAX_UPLOAD_BYTES"] = upload_bytes
    # Room for the multipart envelope around a file of exactly the allowed size.
    config["MAX_CONTENT_LENGTH"] = upload_bytes + 64 * 1024
    config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(config)
    smtp = urlsplit(config.get("SMTP_URL") or "smtp://unset")
    if smtp.scheme not in ("smtp", "smtp+starttls", "smtps") or not smtp.hostname:
        raise RuntimeError("SMTP_URL must look like smtp://host:port, smtp+starttls:// or smtps://")
    config.setdefault("RESTX_MASK_SWAGGER", False)
    config.setdefault("RESTX_ERROR_404_HELP", False)
    config.setdefault("BUNDLE_ERRORS", True)


POOLERS = {"none", "pgbouncer"}


def weak_secret(value: str) -> bool:
    value = value.strip()
    return value.lower() in WEAK_SECRETS or len(value) < 32 or len(set(value)) < MIN_SECRET_SYMBOLS


def check_admin_password(config: dict[str, Any], *, production: bool) -> None:
    """Development falls back to the seed's default admin password; production has none (the
    admin is then not created, see `ensure_admin`) and refuses a weak one outright."""
    from api.core.passwords import DEFAULT_ADMIN_PASSWORD, password_weakness

    password = config.get("ADMIN_PASSWORD")
    if not password:
        config["ADMIN_PASSWORD"] = None if production else DEFAULT_ADMIN_PASSWORD
    elif production:
        context = (config.get("ADMIN_USERNAME") or "", config.get("ADMIN_EMAIL") or "")
        if reason := password_weakness(password, context):
            raise RuntimeError(f"ADMIN_PASSWORD {reason}; production needs a strong one")


def check_storage_config(config: dict[str, Any]) -> None:
    """Refuse a storage configuration that could not work, at start rather than at upload."""
    backend = config["STORAGE_BACKEND"]
    if backend not in ("local", "s3"):
        raise RuntimeError(f"STORAGE_BACKEND must be 'local' or 's3', not {backend!r}")
    if backend == "s3" and not config.get("S3_BUCKET"):
        raise RuntimeError("STORAGE_BACKEND=s3 needs S3_BUCKET")
    # S3 presigned links live at most 7 days; a link that never expires is not short-lived.
    if not 1 <= config["UPLOAD_URL_EXPIRES"] <= 7 * 24 * 3600:
        raise RuntimeError("UPLOAD_URL_EXPIRES must be between 1 and 604800 seconds")
    if config["UPLOAD_QUOTA_FILES"] < 0 or config["UPLOAD_QUOTA_MB"] < 0:
        raise RuntimeError("UPLOAD_QUOTA_FILES and UPLOAD_QUOTA_MB must be 0 (no limit) or more")


def refuse_open_metrics(config: dict[str, Any]) -> None:
    """Metrics reveal traffic and routes: production serves them only to an authorised scraper."""
    if not config.get("METRICS_ENABLED", True):
        return
    token, bind = config.get("METRICS_TOKEN"), config.get("METRICS_BIND")
    if token and weak_secret(token):
        raise RuntimeError(
            f"METRICS_TOKEN is too short (< 32 chars) or too repetitive (< {MIN_SECRET_SYMBOLS} "
            "different characters) for production"
        )
    if not token and not bind:
        raise RuntimeError(
            "METRICS_ENABLED=true in production needs METRICS_TOKEN (a bearer token of >= 32 "
            "chars for the scraper) or METRICS_BIND (a private host:port), or METRICS_ENABLED=false"
        )


def engine_options(config: dict[str, Any]) -> dict[str, Any]:
    url = config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    pooler = config.get("DATABASE_POOLER", "none")
    if pooler not in POOLERS:
        raise RuntimeError(f"DATABASE_POOLER must be one of {sorted(POOLERS)}")
    connect_args: dict[str, Any] = {"connect_timeout": config.get("DB_CONNECT_TIMEOUT", 3)}
    statement_timeout_ms = config.get("DB_STATEMENT_TIMEOUT_MS", 20000)
    if pooler == "pgbouncer":
        # Transaction pooling hands each transaction to any server connection: a statement that
        # psycopg prepared (after 5 runs) on one is unknown on the next. Startup options do not
        # pass through PgBouncer either: set statement_timeout on the role (README, PgBouncer).
        # The app keeps no other session state (no SET, advisory locks or LISTEN).
        connect_args["prepare_threshold"] = None
    elif url.startswith("postgresql") and statement_timeout_ms > 0:
        connect_args["options"] = f"-c statement_timeout={statement_timeout_ms}"
    return {
        "pool_size": config["DB_POOL_SIZE"],
        "max_overflow": config["DB_MAX_OVERFLOW"],
        "pool_timeout": config.get("DB_POOL_TIMEOUT", 5),
        "pool_pre_ping": True,  # a connection from before an outage is tested, then replaced
        "pool_recycle": 1800,
        "connect_args": connect_args,
    }


def db_call_limit(config: dict[str, Any]) -> float:
    """Seconds one PostgreSQL call may take before its connection is cut (a server that stopped
    answering: api/core/db_watchdog.py): the statement timeout and 5 s for the server to report
    it, or 25 s without one; both inside gunicorn's 30 s worker timeout by default."""
    statement_timeout_ms = config.get("DB_STATEMENT_TIMEOUT_MS", 20000)
    return statement_timeout_ms / 1000 + 5 if statement_timeout_ms > 0 else 25.0


def development_secret(data_dir: Path) -> str:
    """A random key generated once under data/ so every worker and restart agrees on it."""
    path = data_dir / ".secret_key"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    # Another worker may have created the file an instant ago and still be writing it.
    for _ in range(50):
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty; delete it to generate a new key")


# --- What the services need, handed to them as arguments (they never read the app) ---------
@dataclass(frozen=True)
class AuthSettings:
    jwt_secret: str
    issuer: str
    audience: str
    access_expires: int
    refresh_expires: int
    reuse_interval: int  # seconds a rotated refresh token may be replayed (lost responses)
    bcrypt_rounds: int

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> "AuthSettings":
        return cls(
            jwt_secret=config["JWT_SECRET_KEY"],
            issuer=config["JWT_ISSUER"],
            audience=config["JWT_AUDIENCE"],
            access_expires=config["ACCESS_TOKEN_EXPIRES"],
            refresh_expires=config["REFRESH_TOKEN_EXPIRES"],
            reuse_interval=config["REFRESH_REUSE_INTERVAL"],
            bcrypt_rounds=config["BCRYPT_ROUNDS"],
        )


@dataclass(frozen=True)
class UploadSettings:
    secret: str  # signs download links and direct-upload tokens
    max_bytes: int
    allowed_extensions: frozenset[str]
    url_expires: int
    quota_files: int
    quota_mb: int

    @property
    def max_mb(self) -> int:
        return self.max_bytes // (1024 * 1024)

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> "UploadSettings":
        raw = config["ALLOWED_EXTENSIONS"]
        return cls(
            secret=config["SECRET_KEY"],
            max_bytes=config["MAX_UPLOAD_BYTES"],
            allowed_extensions=frozenset(
                ext.strip().lower().lstrip(".") for ext in raw.split(",") if ext.strip()
            ),
            url_expires=config["UPLOAD_URL_EXPIRES"],
            quota_files=config["UPLOAD_QUOTA_FILES"],
            quota_mb=config["UPLOAD_QUOTA_MB"],
        )


@dataclass(frozen=True)
class WebhookSettings:
    secret: str  # encrypts subscription secrets at rest
    allow_private: bool
    max_per_user: int
    rotation_grace: int

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> "WebhookSettings":
        return cls(
            secret=config["SECRET_KEY"],
            allow_private=config["WEBHOOKS_ALLOW_PRIVATE"],
            max_per_user=config["WEBHOOKS_MAX_PER_USER"],
            rotation_grace=config["WEBHOOKS_ROTATION_GRACE"],
        )
