"""Station tokens: long-lived tokens, created, named and revoked by Admin, that a workshop
station (a live USB collector, a wiping station) sends as ``Authorization: Bearer rkst_…``.

A station token may only post hardware snapshots and wiping reports: the endpoints marked with
``allow_station_token`` (``POST /api/v1/erasures/import`` and ``POST /api/v1/snapshots``). On any other route it is refused with 401 before Flask-AppBuilder sees it
(``register`` installs the hook first), so FAB's JWT machinery never tries to decode it, and it
can never read anything: no device, no household, no queue.

The secret is ``rkst_`` + ``secrets.token_urlsafe(32)``: recognisable at a glance and never
mistaken for a JWT (which starts with ``eyJ``). It is shown once, at creation; only its SHA-256
is stored, and a token is found by that digest (an indexed equality on a hash: no timing
leak about the secret). ``prefix`` keeps its first characters so that Admin can tell tokens
apart.

Who is recorded: a station is not a person. Its requests act as a ``StationActor``, an Actor
with no role (no personal-data right anywhere); what it writes is recorded with no user id and,
as operator, the token's name (« Poste de réception Lamentin ») with the role « Jeton de poste »:
the erasure record (its ``sanitised_by`` and ``sanitised_by_role``, unless the report names its
own operator) says which station sent it, never a person who did not. The Admin who created the token stays on the token row
(``created_by_id``).
"""
from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app, g, jsonify, request
from flask_appbuilder.security.decorators import protect
from sqlalchemy import ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.security import RekonektUser
from core.actor import Actor
from core.base import Model
from core.clock import utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.types import UTCDateTime
from core.unit_of_work import unit_of_work

SECRET_PREFIX = "rkst_"
PREFIX_LENGTH = len(SECRET_PREFIX) + 6      # « rkst_AbC123 » on the admin page
NAME_MAX = 120
# last_used_at is written at most once a minute per token: a busy station costs no write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
STATION_ROLE = "Jeton de poste"

RESERVED = "Jeton de poste : réservé à l'envoi d'instantanés et de rapports d'effacement."
UNKNOWN = "Jeton de poste inconnu ou révoqué."
DUPLICATE_NAME = "Un jeton de poste porte déjà ce nom : choisissez-en un autre."

_MARK = "_station_token_allowed"


class StationToken(Model):
    """A station's long-lived token (its SHA-256 only; the secret is shown once)."""

    __tablename__ = "station_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False, unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_by: Mapped[RekonektUser | None] = relationship(RekonektUser, lazy="joined")

    @property
    def creator_name(self) -> str | None:
        user = self.created_by
        if user is None:
            return None
        return (user.get_full_name() or "").strip() or user.username

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __str__(self) -> str:
        return self.name


# --- the services: create, revoke, authenticate ----------------------------------------------

def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def looks_like_station_token(secret: str | None) -> bool:
    return bool(secret) and secret.startswith(SECRET_PREFIX)


@dataclass(frozen=True)
class CreatedToken:
    token: StationToken
    secret: str          # shown once, never stored


def create_token(session: Session, name: str, *, created_by_id: int | None) -> CreatedToken:
    """A new active token named ``name``. Raises ValidationFailed (no name, too long, or the
    name already taken)."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed({"name": ["Nom du poste attendu (par exemple « Poste de réception Lamentin »)."]})
    if len(name) > NAME_MAX:
        raise ValidationFailed({"name": [f"Nom du poste : {NAME_MAX} caractères au plus."]})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work(session, duplicate=DUPLICATE_NAME):
        if session.execute(select(StationToken.id).where(StationToken.name == name)).first() is not None:
            raise ValidationFailed({"name": [DUPLICATE_NAME]})
        token = StationToken(name=name, token_hash=token_digest(secret), prefix=secret[:PREFIX_LENGTH],
                             created_by_id=created_by_id, created_at=utcnow())
        session.add(token)
    return CreatedToken(token, secret)


def revoke_token(session: Session, token_id: int) -> StationToken:
    """Revoke the token at once (its next request is refused). Raises NotFound, or Conflict when
    it is already revoked."""
    with unit_of_work(session):
        token = session.get(StationToken, token_id)
        if token is None:
            raise NotFound(f"Jeton de poste n° {token_id} inconnu.")
        if token.revoked_at is not None:
            raise Conflict(f"Le jeton de poste « {token.name} » est déjà révoqué.")
        token.revoked_at = utcnow()
    return token


def tokens(session: Session) -> list[StationToken]:
    """Every token, the active ones first, then by name."""
    return list(session.execute(
        select(StationToken).order_by(StationToken.revoked_at.is_not(None), StationToken.name)
    ).scalars())


@dataclass(frozen=True)
class StationActor:
    """Who acts when a station token is sent: the token, never a person."""
    token_id: int
    name: str

    @property
    def actor(self) -> Actor:
        """An Actor with no role: no access rule grants it anything."""
        return Actor(None, self.operator_name, frozenset())

    @property
    def operator_name(self) -> str:
        return self.name

    operator_role = STATION_ROLE


def authenticate(session: Session, secret: str, *, now: datetime | None = None) -> StationActor | None:
    """The station of an active token ``secret``, or None (unknown or revoked). Its last use is
    written when the recorded one is older than ``LAST_USED_RESOLUTION`` (one unit of work)."""
    if not looks_like_station_token(secret):
        return None
    row = session.execute(
        select(StationToken.id, StationToken.name, StationToken.last_used_at)
        .where(StationToken.token_hash == token_digest(secret), StationToken.revoked_at.is_(None))
    ).one_or_none()
    if row is None:
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        with unit_of_work(session):
            session.execute(update(StationToken).where(StationToken.id == row.id).values(last_used_at=now))
    return StationActor(row.id, row.name)


# --- the web edge: the hook and the decorator -----------------------------------------------

def current_station() -> StationActor | None:
    """The station of this request, when it authenticated with a station token."""
    return g.get("station_token")


def allow_station_token(method):
    """Use instead of ``@protect()`` on an API endpoint that a station may call (snapshots,
    wiping reports): a request authenticated by a station token (``current_station()``) runs
    the endpoint; any other goes through Flask-AppBuilder's ``protect()`` as before.

    Place it right under ``@expose``, above ``@permission_name`` (which ``protect`` reads)."""
    protected = protect()(method)

    @functools.wraps(protected)
    def wrapper(self, *args, **kwargs):
        if current_station() is not None:
            return method(self, *args, **kwargs)
        return protected(self, *args, **kwargs)

    setattr(wrapper, _MARK, True)
    return wrapper


def station_routes(app: Flask) -> set[tuple[str, str]]:
    """Every ``(rule, method)`` of ``app`` that a station token may call."""
    return {(rule.rule, method) for rule in app.url_map.iter_rules()
            if getattr(app.view_functions.get(rule.endpoint), _MARK, False)
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def _bearer_secret() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    # eReuse workbench-script sends its settings.ini value as it is: the example file writes the
    # token between quotes (token = '…'), and configparser keeps them.
    value = value.strip().strip("'\"")
    return value if looks_like_station_token(value) else None


def _station_endpoint() -> bool:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(view is not None and getattr(view, _MARK, False))


def _refuse(message: str):
    answer = jsonify(message=message)
    answer.status_code = 401
    answer.headers["WWW-Authenticate"] = 'Bearer realm="rekonekt"'
    return answer


def authenticate_station_request():
    """Before everything else: a request carrying ``Bearer rkst_…`` is answered 401 unless its
    route allows station tokens and the token is active; then ``g.station_token`` is set."""
    secret = _bearer_secret()
    if secret is None:
        return None
    if not _station_endpoint():
        return _refuse(RESERVED)
    from app.extensions import db

    station = authenticate(db.session, secret)
    if station is None:
        return _refuse(UNKNOWN)
    g.station_token = station
    return None


def register(app: Flask) -> None:
    """Install the hook ahead of Flask-AppBuilder's (which sets ``g.user``) and every other."""
    app.before_request_funcs.setdefault(None, []).insert(0, authenticate_station_request)
