"""Configuration in one place: environment variables (and `.env`) with safe defaults."""

import os
import secrets
import time
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ALLOWED_EXTENSIONS = "png,jpg,jpeg,gif,webp,pdf,txt,csv,json,zip"
# Values that must never sign tokens in production.
WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development", "your-secret-key"}


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
        # JSON bodies are small; only the upload route may accept MAX_UPLOAD_MB.
        "MAX_JSON_BYTES": int(env("MAX_JSON_BYTES", str(1024 * 1024))),
        "MAX_JSON_DEPTH": int(env("MAX_JSON_DEPTH", "32")),
        "ACCESS_TOKEN_EXPIRES": int(env("ACCESS_TOKEN_EXPIRES", "3600")),
        "REFRESH_TOKEN_EXPIRES": int(env("REFRESH_TOKEN_EXPIRES", str(14 * 24 * 3600))),
        "BCRYPT_ROUNDS": int(env("BCRYPT_ROUNDS", "12")),
        "ADMIN_USERNAME": env("ADMIN_USERNAME", "admin"),
        "ADMIN_PASSWORD": env("ADMIN_PASSWORD", "admin2025"),
        "ADMIN_EMAIL": env("ADMIN_EMAIL", "admin@example.com"),
        "CORS_ORIGINS": env("CORS_ORIGINS", "*"),
        "LOGIN_RATE_LIMIT": env("LOGIN_RATE_LIMIT", "10 per minute"),
        "LOGIN_IP_RATE_LIMIT": env("LOGIN_IP_RATE_LIMIT", "100 per minute"),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or env("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool(env("RATELIMIT_ENABLED"), default=True),
        "PROXY_FIX_COUNT": int(env("PROXY_FIX_COUNT", "0")),
        "DB_POOL_SIZE": int(env("DB_POOL_SIZE", "10")),
        "DB_MAX_OVERFLOW": int(env("DB_MAX_OVERFLOW", "20")),
        # A database that is down or saturated answers 503 in seconds, well inside gunicorn's
        # 30 s timeout: connecting, waiting for a pooled connection, running one statement.
        "DB_CONNECT_TIMEOUT": int(env("DB_CONNECT_TIMEOUT", "3")),
        "DB_POOL_TIMEOUT": float(env("DB_POOL_TIMEOUT", "5")),
        "DB_STATEMENT_TIMEOUT_MS": int(env("DB_STATEMENT_TIMEOUT_MS", "20000")),
        "LOG_LEVEL": env("LOG_LEVEL", "INFO").upper(),
        # Item list pages cached per worker (0 disables); see api/page_cache.py.
        "LIST_CACHE_SIZE": int(env("LIST_CACHE_SIZE", "1024")),
    }


def finalize_config(config: dict[str, Any]) -> None:
    """Derive dependent settings and refuse an unsafe production configuration."""
    production = config["APP_ENV"] == "production"
    if not config.get("SECRET_KEY"):
        if production:
            raise RuntimeError("SECRET_KEY must be set when APP_ENV=production")
        config["SECRET_KEY"] = development_secret(Path(config["DATA_DIR"]))
    config["JWT_SECRET_KEY"] = config.get("JWT_SECRET_KEY") or config["SECRET_KEY"]
    if production:
        for key in ("SECRET_KEY", "JWT_SECRET_KEY"):
            if config[key].lower() in WEAK_SECRETS or len(config[key]) < 32:
                raise RuntimeError(f"{key} is a default or too short (< 32 chars) for production")
    upload_bytes = config["MAX_UPLOAD_MB"] * 1024 * 1024
    config["MAX_UPLOAD_BYTES"] = upload_bytes
    # Room for the multipart envelope around a file of exactly the allowed size.
    config["MAX_CONTENT_LENGTH"] = upload_bytes + 64 * 1024
    config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(config)
    config.setdefault("RESTX_MASK_SWAGGER", False)
    config.setdefault("RESTX_ERROR_404_HELP", False)
    config.setdefault("BUNDLE_ERRORS", True)


def engine_options(config: dict[str, Any]) -> dict[str, Any]:
    url = config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    connect_args: dict[str, Any] = {"connect_timeout": config.get("DB_CONNECT_TIMEOUT", 3)}
    statement_timeout_ms = config.get("DB_STATEMENT_TIMEOUT_MS", 20000)
    if url.startswith("postgresql") and statement_timeout_ms > 0:
        connect_args["options"] = f"-c statement_timeout={statement_timeout_ms}"
    return {
        "pool_size": config["DB_POOL_SIZE"],
        "max_overflow": config["DB_MAX_OVERFLOW"],
        "pool_timeout": config.get("DB_POOL_TIMEOUT", 5),
        "pool_pre_ping": True,  # a connection from before an outage is tested, then replaced
        "pool_recycle": 1800,
        "connect_args": connect_args,
    }


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
