import pytest
from pydantic import ValidationError

from dashboard.config import DEV_SECRET_KEY, Settings


def _settings(monkeypatch, **env):
    for key in ("DASHBOARD_ENV", "DATABASE_URL", "DASHBOARD_SECRET_KEY", "DASHBOARD_ALLOWED_ORIGIN", "DASHBOARD_AUDIT_KEY"):
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
        DASHBOARD_AUDIT_KEY="a" * 48,
        DATABASE_URL="postgres://u:p@db.internal:5432/dash",
        DASHBOARD_ALLOWED_ORIGIN="https://backoffice.example.com",
    )
    assert s.is_production
    assert s.database_url == "postgresql+psycopg://u:p@db.internal:5432/dash"


def test_non_postgres_database_is_refused(monkeypatch):
    with pytest.raises(ValidationError, match="PostgreSQL"):
        _settings(monkeypatch, DATABASE_URL="sqlite:///x.db")


_PROD = {"DASHBOARD_ENV": "prod", "DASHBOARD_SECRET_KEY": "k" * 48, "DATABASE_URL": "postgresql://db/x",
         "DASHBOARD_ALLOWED_ORIGIN": "https://backoffice.example.com"}


@pytest.mark.parametrize(
    "audit_key",
    [None, "", "short-key", DEV_SECRET_KEY, "k" * 48],  # missing, empty, weak, the dev default, the secret key
    ids=["missing", "empty", "short", "dev-default", "same-as-secret"],
)
def test_production_refuses_a_missing_or_default_audit_key(monkeypatch, audit_key):
    env = dict(_PROD) if audit_key is None else {**_PROD, "DASHBOARD_AUDIT_KEY": audit_key}
    with pytest.raises(ValidationError, match="DASHBOARD_AUDIT_KEY"):
        _settings(monkeypatch, **env)


def test_development_derives_an_audit_key_from_the_secret_key(monkeypatch):
    from dashboard.audit.chain import _derive_key

    s = _settings(monkeypatch)
    assert s.audit_key == ""
    derived = _derive_key(s.audit_key, s.secret_key)
    assert len(derived) == 32 and derived != s.secret_key.encode()
    assert _derive_key("x" * 40, s.secret_key) == b"x" * 40
