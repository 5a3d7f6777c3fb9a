"""The unit of work every service runs in: one use case, one transaction."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.errors import Conflict

CONCURRENT_CHANGE = (
    "Cet appareil vient d'être modifié par quelqu'un d'autre : rechargez-le et recommencez."
)
DUPLICATE = (
    "Enregistrement refusé : une autre saisie identique vient d'être faite "
    "(doublon). Rechargez et vérifiez."
)


@contextmanager
def unit_of_work(session: Session, *, duplicate: str = DUPLICATE):
    """Commit on success; roll back on any error, so that nothing is half-written. A
    concurrent update of the same row (optimistic lock) becomes a ``Conflict``; so does a
    unique constraint lost to a race, with the message ``duplicate``."""
    try:
        yield
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict(CONCURRENT_CHANGE) from None
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(duplicate) from exc
    except BaseException:
        session.rollback()
        raise
