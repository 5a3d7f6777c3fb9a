"""The unit of work every service runs in: one use case, one transaction."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.db import begin_writing
from core.errors import Conflict

CONCURRENT_CHANGE = (
    "Cet appareil vient d'être modifié par quelqu'un d'autre : rechargez-le et recommencez."
)
BUSY = "La base de données est occupée par d'autres enregistrements : réessayez dans un instant."
DUPLICATE = (
    "Enregistrement refusé : une autre saisie identique vient d'être faite "
    "(doublon). Rechargez et vérifiez."
)


@contextmanager
def unit_of_work(session: Session, *, duplicate: str = DUPLICATE):
    """Commit on success; roll back on any error, so that nothing is half-written. A
    concurrent update of the same row (optimistic lock) becomes a ``Conflict``; so does a
    unique constraint lost to a race, with the message ``duplicate``. On SQLite the unit of work
    holds the write lock from its start (``core.db.begin_writing``): its guards read what the
    writers before it committed, and the writers after it wait."""
    try:
        begin_writing(session)
        yield
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict(CONCURRENT_CHANGE) from None
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(duplicate) from exc
    except OperationalError as exc:
        session.rollback()
        if "database is locked" in str(exc.orig):     # SQLite: waited SQLITE_BUSY_TIMEOUT_MS in vain
            raise Conflict(BUSY) from exc
        raise
    except BaseException:
        session.rollback()
        raise
