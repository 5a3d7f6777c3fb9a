"""The login guard: failed sign-ins counted per account and per address, and a temporary lockout.

``LOGIN_MAX_FAILURES_PER_ACCOUNT`` (5) failures on one account, or
``LOGIN_MAX_FAILURES_PER_ADDRESS`` (20) from one address, within
``LOGIN_FAILURE_WINDOW_SECONDS`` (15 min) lock that account or address for
``LOGIN_LOCKOUT_SECONDS`` (15 min): every sign-in it attempts is then refused, the right password
too, without the password even being checked (the login form flashes the French message, the
API answers 429 with ``Retry-After``). After the lockout the count starts again from zero; a
successful sign-in clears its account's failures (never its address's: one good account must not
whitewash guesses at others).

An account is counted whatever it is called (user name or email: ``account_key`` in the security
manager), and unknown names are counted and locked like real ones, so the answer never tells
whether an account exists. Keys are stored as HMAC-SHA256 digests under ``SECRET_KEY``: no user
name nor IP address is kept.

Storage (``LOGIN_GUARD_STORAGE``): ``memory`` keeps the counts in the process (``make run``, one
process); ``database`` keeps them in the tables ``ab_login_failure`` and ``ab_login_lockout``,
shared by every gunicorn worker and every machine. Default: ``memory`` on SQLite, ``database``
otherwise. The tables carry FAB's ``ab_`` prefix of the security tables: like the accounts, they
belong to the web edge, not to a domain (tests/conftest.py leaves ``ab_`` tables to the app).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import math
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable, Protocol

from sqlalchemy import Index, Integer, String, delete, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from core.base import Model
from core.clock import utcnow
from core.types import UTCDateTime

ACCOUNT = "account"
ADDRESS = "address"
STORAGES = ("memory", "database")

log = logging.getLogger(__name__)


class LoginFailure(Model):
    """One failed sign-in of a key (an account or an address, as a digest)."""

    __tablename__ = "ab_login_failure"
    __table_args__ = (Index("ix_ab_login_failure_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    def __str__(self) -> str:   # the key is a digest: nothing a reader could use
        return "Échec de connexion"


class LoginLockout(Model):
    """A key refused until ``until``."""

    __tablename__ = "ab_login_lockout"
    __table_args__ = (Index("ix_ab_login_lockout_key_until", "key", "until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    until: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    def __str__(self) -> str:
        return "Connexions refusées pour un temps"


class Store(Protocol):
    def add_failure(self, key: str, at: datetime, since: datetime) -> int:
        """Record a failure of ``key`` at ``at``; the number of its failures since ``since``."""

    def clear(self, key: str) -> None:
        """Forget the failures of ``key``."""

    def lock(self, key: str, until: datetime, now: datetime) -> None:
        """Refuse ``key`` until ``until``."""

    def locked_until(self, keys: Iterable[str], now: datetime) -> datetime | None:
        """The latest end of a lockout of one of ``keys`` still running at ``now``."""


class MemoryStore:
    """Counts kept in this process (one process only: ``make run``)."""

    def __init__(self) -> None:
        self._failures: dict[str, list[datetime]] = {}
        self._locks: dict[str, datetime] = {}
        self._mutex = threading.Lock()

    def add_failure(self, key: str, at: datetime, since: datetime) -> int:
        with self._mutex:
            recent = [moment for moment in self._failures.get(key, []) if moment >= since] + [at]
            self._failures[key] = recent
            return len(recent)

    def clear(self, key: str) -> None:
        with self._mutex:
            self._failures.pop(key, None)

    def lock(self, key: str, until: datetime, now: datetime) -> None:
        with self._mutex:
            for stale in [k for k, end in self._locks.items() if end <= now]:
                del self._locks[stale]
            self._locks[key] = max(until, self._locks.get(key, until))

    def locked_until(self, keys: Iterable[str], now: datetime) -> datetime | None:
        with self._mutex:
            ends = [self._locks[k] for k in keys if k in self._locks and self._locks[k] > now]
        return max(ends, default=None)


class DatabaseStore:
    """Counts kept in the database, shared by every worker. Each call is its own short
    transaction on the engine, apart from the request's session."""

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine
        self._failures = LoginFailure.__table__
        self._locks = LoginLockout.__table__

    def add_failure(self, key: str, at: datetime, since: datetime) -> int:
        failures = self._failures
        with self._engine().begin() as conn:
            conn.execute(delete(failures).where(failures.c.at < since))  # nobody's stale failures are kept
            conn.execute(insert(failures).values(key=key, at=at))
            return conn.execute(
                select(func.count()).select_from(failures).where(failures.c.key == key, failures.c.at >= since)
            ).scalar_one()

    def clear(self, key: str) -> None:
        with self._engine().begin() as conn:
            conn.execute(delete(self._failures).where(self._failures.c.key == key))

    def lock(self, key: str, until: datetime, now: datetime) -> None:
        locks = self._locks
        with self._engine().begin() as conn:
            conn.execute(delete(locks).where(locks.c.until <= now))
            conn.execute(insert(locks).values(key=key, until=until))

    def locked_until(self, keys: Iterable[str], now: datetime) -> datetime | None:
        locks = self._locks
        with self._engine().connect() as conn:
            return conn.execute(
                select(func.max(locks.c.until)).where(locks.c.key.in_(list(keys)), locks.c.until > now)
            ).scalar_one()


@dataclass(frozen=True)
class Refusal:
    """A sign-in refused by a lockout that runs until ``until``."""

    until: datetime
    now: datetime

    @property
    def retry_after(self) -> int:
        """Seconds to wait (at least 1), for the ``Retry-After`` header."""
        return max(1, math.ceil((self.until - self.now).total_seconds()))

    @property
    def message(self) -> str:
        minutes = math.ceil(self.retry_after / 60)
        wait = f"{minutes} minute{'s' if minutes > 1 else ''}"
        return ("Trop de tentatives de connexion échouées pour cet identifiant ou depuis cette adresse : "
                f"la connexion est bloquée temporairement. Réessayez dans {wait}.")


class LoginGuard:
    def __init__(self, store: Store, *, secret: str, max_per_account: int, max_per_address: int,
                 window_seconds: float, lockout_seconds: float, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self._secret = secret.encode()
        self.limits = {ACCOUNT: max_per_account, ADDRESS: max_per_address}
        self.window = timedelta(seconds=window_seconds)
        self.lockout = timedelta(seconds=lockout_seconds)
        self.clock = clock

    @classmethod
    def from_config(cls, config, engine: Callable[[], Engine]) -> "LoginGuard":
        storage = config.get("LOGIN_GUARD_STORAGE") or "memory"
        if storage not in STORAGES:
            raise RuntimeError(f"LOGIN_GUARD_STORAGE doit valoir {' ou '.join(STORAGES)} (lu : {storage!r}).")
        store: Store = DatabaseStore(engine) if storage == "database" else MemoryStore()
        return cls(store, secret=config["SECRET_KEY"],
                   max_per_account=config.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5),
                   max_per_address=config.get("LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
                   window_seconds=config.get("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60),
                   lockout_seconds=config.get("LOGIN_LOCKOUT_SECONDS", 15 * 60))

    def _digest(self, kind: str, value: str) -> str:
        return hmac.new(self._secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    def _keys(self, account: str | None, address: str | None) -> dict[str, str]:
        keys = {}
        if account:
            keys[ACCOUNT] = self._digest(ACCOUNT, account)
        if address:
            keys[ADDRESS] = self._digest(ADDRESS, address)
        return keys

    def refusal(self, account: str | None, address: str | None) -> Refusal | None:
        """Why a sign-in of ``account`` from ``address`` is refused now, or None."""
        keys = self._keys(account, address)
        if not keys:
            return None
        now = self.clock()
        until = self.store.locked_until(keys.values(), now)
        return Refusal(until, now) if until is not None else None

    def failed(self, account: str | None, address: str | None) -> None:
        now = self.clock()
        for kind, key in self._keys(account, address).items():
            if self.store.add_failure(key, now, now - self.window) >= self.limits[kind]:
                self.store.lock(key, now + self.lockout, now)
                self.store.clear(key)  # after the lockout, a fresh count
                # Which account or address is never logged (personal data): only that one was locked.
                log.warning("Sign-ins locked for %d s: too many failures for an %s", self.lockout.total_seconds(), kind)

    def succeeded(self, account: str | None) -> None:
        if account:
            self.store.clear(self._digest(ACCOUNT, account))
