import pytest
from pydantic import ValidationError

from dashboard.config import DEV_SECRET_KEY, Settings


def _settings(monkeypatch, **env):
    for key in ("DASHBOARD_ENV", "DATABASE_URL", "DASHBOARD_SECRET_KEY", "DASHBOARD_ALLOWED_ORIGIN"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings(_env_file=None)


def test_development_defaults_are_usable(monkeypatch):
    s = _settings(monkeypatch)
    assert s.env == "dev" and s.secret_key == DEV_SECRET_KEY and s.database_url == ""


def test_production_refuses_the_default_secret(monkeypatch):
    with pytest.raises(ValidationError, match="DASHBOARD_SECRET_KEY"):
        _settings(monkeypatch, DASHBOARD_ENV="prod", DATABASE_URL="postgresql://db/x")


def test_production_refuses_a_missing_database(monkeypatch):
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        _settings(monkeypatch, DASHBOARD_ENV="prod", DASHBOARD_SECRET_KEY="x" * 40)


def test_production_accepts_real_settings(monkeypatch):
    s = _settings(
        monkeypatch,
        DASHBOARD_ENV="prod",
        DASHBOARD_SECRET_KEY="k" * 48,
        DATABASE_URL="postgres://u:p@db.internal:5432/dash",
        DASHBOARD_ALLOWED_ORIGIN="https://backoffice.example.com",
    )
    assert s.is_production
    assert s.database_url == "postgresql+psycopg://u:p@db.internal:5432/dash"


def test_non_postgres_database_is_refused(monkeypatch):
    with pytest.raises(ValidationError, match="PostgreSQL"):
        _settings(monkeypatch, DATABASE_URL="sqlite:///x.db")
