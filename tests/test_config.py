"""Configuration from the environment, and the generated secret key."""
from __future__ import annotations

import stat

from config import Config


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("REKONEKT_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first = Config()
    second = Config()
    assert len(first.SECRET_KEY) == 64 and first.SECRET_KEY == second.SECRET_KEY
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == first.SECRET_KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'rekonekt.db'}"


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("REKONEKT_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgresql://rk@db.example/rekonekt")
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("DEMO", "0")
    monkeypatch.setenv("DEMO_PASSWORD", "autre")
    config = Config()
    assert config.SECRET_KEY == "from-env"
    assert not (tmp_path / "secret_key").exists()
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://rk@db.example/rekonekt"
    assert (config.PORT, config.DEMO, config.DEMO_PASSWORD) == (8080, False, "autre")
    assert config.BABEL_DEFAULT_LOCALE == "fr"


def test_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("REKONEKT_INSTANCE_DIR", str(tmp_path))
    for name in ("PORT", "DEMO", "DEMO_PASSWORD", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    config = Config()
    assert (config.PORT, config.DEMO, config.DEMO_PASSWORD) == (5000, True, "demo")
