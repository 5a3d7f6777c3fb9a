"""Configuration: safe defaults, overridden by environment variables.

Environment variables: DATABASE_URL, SECRET_KEY, PORT, DEMO, DEMO_PASSWORD, PUBLIC_BASE_URL,
LOGIN_GUARD_STORAGE, TRUSTED_PROXIES (and the programme's and seller's identity).
No secret is ever hard-coded: without SECRET_KEY, one is generated once and kept
under instance/ so that sessions survive a restart.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from core.actor import ADMIN, PUBLIC

BASE_DIR = Path(__file__).resolve().parent


def instance_dir() -> Path:
    """Where the SQLite file and the generated secret live (``REKONEKT_INSTANCE_DIR``)."""
    path = Path(os.environ.get("REKONEKT_INSTANCE_DIR", BASE_DIR / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = instance_dir() / "secret_key"
    if not path.exists():
        # Created with owner-only rights; never committed (instance/ is ignored).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{instance_dir() / 'rekonekt.db'}"


def _login_guard_storage(database_url: str) -> str:
    """Where the login guard counts failures: ``LOGIN_GUARD_STORAGE`` (memory or database); by
    default in memory on SQLite (``make run``: one process), in the database otherwise (every
    gunicorn worker sees the same counts)."""
    storage = os.environ.get("LOGIN_GUARD_STORAGE", "").strip().lower()
    if not storage:
        return "memory" if database_url.startswith("sqlite") else "database"
    if storage not in ("memory", "database"):
        raise RuntimeError(f"LOGIN_GUARD_STORAGE doit valoir memory ou database (lu : {storage!r}).")
    return storage


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() not in {"0", "false", "no", "non", "off", ""}


class Config:
    """Production-ready defaults. Everything site-specific comes from the environment."""

    APP_NAME = "Rekonekt"
    APP_ICON = None
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # hide_parameters: SQL errors never carry the values (personal data) into the logs.
    # No pool_pre_ping (a SELECT 1 round trip on every request): a connection the server has
    # closed (a restart) is replaced at checkout without one (core.db.tune_engine), and none is
    # kept more than an hour (pool_recycle), for links that drop idle connections silently.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 3600, "hide_parameters": True}

    # Flask-AppBuilder
    FAB_SECURITY_MANAGER_CLASS = "app.security.RekonektSecurityManager"
    FAB_BASE_TEMPLATE = "rekonekt/base.html"
    FAB_INDEX_VIEW = "app.views.home.HomeView"
    # The schema comes from migrations only, never from create_all at start-up.
    FAB_CREATE_DB = False
    # Roles are defined in code (app/roles.py, installed as FAB_ROLES by create_app) and
    # checked in memory: no permission rows to keep in sync.
    FAB_UPDATE_PERMS = False
    FAB_API_SWAGGER_UI = True
    FAB_ADD_SECURITY_API = False
    FAB_API_MAX_PAGE_SIZE = 200
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = ADMIN
    AUTH_ROLE_PUBLIC = PUBLIC
    AUTH_USER_REGISTRATION = False
    FAB_PASSWORD_HASH_METHOD = "scrypt"
    # API tokens: a short access token, renewed with the refresh token (POST /api/v1/security/refresh)
    # for one working day. Both end at once on sign-out, password change or disabling (token version).
    JWT_ACCESS_TOKEN_EXPIRES = 15 * 60
    JWT_REFRESH_TOKEN_EXPIRES = 8 * 3600
    # A browser session ends 12 hours after it was signed (sign-in), and at once on sign-out,
    # password change or disabling.
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    # How long one process trusts the signed-in user it read (account disabled, role changed).
    PRINCIPAL_CACHE_SECONDS = 5
    # FAB's Flask-Limiter stays off: it cannot share its counts between workers without Redis.
    # Sign-ins are guarded by app.login_guard instead (per account and per address).
    RATELIMIT_ENABLED = False

    # Accounts: the password policy (app/passwords.py) and the login guard (app/login_guard.py).
    PASSWORD_MIN_LENGTH = 12
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60   # failures counted over this span …
    LOGIN_LOCKOUT_SECONDS = 15 * 60          # … lock the account or address this long

    # Language: French first, English available.
    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_FOLDER = "translations"
    LANGUAGES = {
        "fr": {"flag": "fr", "name": "Français"},
        "en": {"flag": "gb", "name": "English"},
    }
    DISPLAY_TIMEZONE = "America/Martinique"

    # Input limits
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024  # 2 MiB: any JSON body or CSV upload
    WTF_CSRF_TIME_LIMIT = None  # the scan station stays open all day

    # Cookies: HttpOnly and SameSite=Lax always; Secure when PUBLIC_BASE_URL is https (_transport).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    HSTS_SECONDS = 365 * 24 * 3600           # Strict-Transport-Security, sent when served over https

    # Numbering
    ASSET_TAG_PREFIX = "RK-"
    ASSET_TAG_DIGITS = 6

    # Eligibility (months)
    ELIGIBILITY_VALIDITY_MONTHS = 12     # a validation lasts this long
    ELIGIBILITY_REEQUIP_MONTHS = 24      # no second device of a category within this time
    ELIGIBILITY_RETENTION_MONTHS = 36    # households inactive this long are anonymised by the purge
    CONSENT_TEXT_VERSION = "consentement-2026-01"

    # Handover (distribution)
    RESERVATION_HOLD_DAYS = 14           # a reservation is released after this many days
    # Waiting-list weights of the priority situations (eligibility.vocabulary.Situation codes).
    PRIORITY_WEIGHTS = {"senior": 3, "disability": 3, "young_isolated": 2, "student": 1}

    # Scan station
    SCAN_REPEAT_WINDOW_SECONDS = 2.0
    SCAN_PUTAWAY_IDLE_MINUTES = 15

    def __init__(self) -> None:
        # Read at instantiation, so that tests and run.py see the current environment.
        self.SQLALCHEMY_DATABASE_URI = _database_url()
        self.SECRET_KEY = _secret_key()
        self.PORT = int(os.environ.get("PORT", "5000"))
        self.DEMO = _flag("DEMO", True)
        self.DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo")
        self._programme_from_env()
        self._transport()
        self.LOGIN_GUARD_STORAGE = _login_guard_storage(self.SQLALCHEMY_DATABASE_URI)
        # Reverse proxies in front of the app (nginx, Caddy: 1) whose X-Forwarded-For and
        # X-Forwarded-Proto are believed; the login guard counts failures per client address.
        self.TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
        if self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            # Writers wait for each other instead of failing at once.
            self.SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True, "connect_args": {"timeout": 15}}

    def _transport(self) -> None:
        """Served over https (PUBLIC_BASE_URL): cookies go over https only (app/headers.py adds
        HSTS from the same setting)."""
        https = self.PUBLIC_BASE_URL.lower().startswith("https://")
        self.SESSION_COOKIE_SECURE = https
        self.REMEMBER_COOKIE_SECURE = https

    def _programme_from_env(self) -> None:
        """Who issues the certificates, and the address printed in their QR codes."""
        self.PROGRAMME_NAME = os.environ.get("PROGRAMME_NAME", "Rekonekt — reconditionnement solidaire (Martinique)")
        self.PROGRAMME_ADDRESS = os.environ.get("PROGRAMME_ADDRESS") or None
        self.PROGRAMME_SIRET = os.environ.get("PROGRAMME_SIRET") or None
        self.PROGRAMME_CONTACT = os.environ.get("PROGRAMME_CONTACT") or None
        self.PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", f"http://127.0.0.1:{self.PORT}")
        # The seller printed on invoices; VAT_REGIME is franchise (default), margin or standard.
        self.SELLER_NAME = os.environ.get("SELLER_NAME") or "Association Rekonekt Martinique"
        self.SELLER_ADDRESS = os.environ.get("SELLER_ADDRESS") or "Zone de Manhity, 97232 Le Lamentin"
        self.SELLER_SIRET = os.environ.get("SELLER_SIRET") or "00000000000000"
        self.SELLER_LEGAL_FORM = os.environ.get("SELLER_LEGAL_FORM") or "Association loi 1901"
        self.SELLER_VAT_NUMBER = os.environ.get("SELLER_VAT_NUMBER") or None
        self.VAT_REGIME = os.environ.get("VAT_REGIME", "franchise")
        if self.VAT_REGIME not in ("franchise", "margin", "standard"):
            raise RuntimeError("VAT_REGIME doit valoir franchise, margin ou standard.")


class TestConfig(Config):
    """Used by the test-suite only."""

    __test__ = False  # not a pytest test class

    TESTING = True
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    WTF_CSRF_ENABLED = True
    PRINCIPAL_CACHE_SECONDS = 0  # tests change accounts and expect it at once
    # tests/helpers.token keeps one token per account for the whole run, which may outlast the
    # production lifetime (15 min); tests of the lifetime itself make their own tokens.
    JWT_ACCESS_TOKEN_EXPIRES = 8 * 3600
    # The counts live in the database, the production setting, and are emptied between tests.
    LOGIN_GUARD_STORAGE = "database"
    TRUSTED_PROXIES = 0

    def __init__(self, database_url: str) -> None:
        # Does not call Config.__init__: tests never touch instance/ nor the environment.
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.SECRET_KEY = secrets.token_hex(16)
        self.PORT = 5000
        self.DEMO = False
        self.DEMO_PASSWORD = "demo"
        self._programme_from_env()
        self.PUBLIC_BASE_URL = "https://rekonekt.test"
        self._transport()
        self.SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}
        if database_url.startswith("sqlite"):
            self.SQLALCHEMY_ENGINE_OPTIONS["connect_args"] = {"timeout": 15}
