"""The app factory and its configuration."""

from pathlib import Path

import pytest

from api import create_app
from tests.helpers import build_test_config


def test_testing_config_is_applied(app):
    assert app.testing
    assert app.config["BCRYPT_ROUNDS"] == 4


def test_production_refuses_missing_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = build_test_config(tmp_path, APP_ENV="production", SECRET_KEY=None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


@pytest.mark.parametrize("secret", ["changeme", "secret", "short-but-not-default"])
def test_production_refuses_default_or_short_secret(tmp_path, secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(build_test_config(tmp_path, APP_ENV="production", SECRET_KEY=secret))


def test_production_accepts_strong_secret(tmp_path):
    secret = "Qz8v-Lm3x-Rt7k-Wp2n-Hd5c-Fb9y-Js4a"  # 34 characters, 30 different
    config = build_test_config(tmp_path, APP_ENV="production", SECRET_KEY=secret)
    app = create_app({**config, "METRICS_ENABLED": False})
    assert app.config["JWT_SECRET_KEY"] == secret


def test_development_secret_is_generated_once_and_reused(tmp_path):
    first = create_app(build_test_config(tmp_path, SECRET_KEY=None))
    second = create_app(build_test_config(tmp_path, SECRET_KEY=None))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32
    assert (Path(tmp_path) / ".secret_key").read_text().strip() == first.config["SECRET_KEY"]


def test_postgres_urls_use_psycopg_driver(tmp_path):
    app = create_app(build_test_config(tmp_path, SQLALCHEMY_DATABASE_URI="sqlite://"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
    from api.core.config import normalize_database_url

    assert normalize_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
