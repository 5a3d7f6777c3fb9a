"""Who is acting: the role names (one definition, read by the web edge's grants and by the
settings) and ``Actor``, the person as every domain's access rules see them."""
from __future__ import annotations

from dataclasses import dataclass

ADMIN = "Admin"
TECHNICIEN = "Technicien"
AGENT_EPCI = "Agent EPCI"
PARTENAIRE = "Partenaire"
PRESCRIPTEUR = "Prescripteur"
ANIMATEUR = "Animateur"
PUBLIC = "Public"


@dataclass(frozen=True)
class Actor:
    """The person acting: their id and name, role names, and the EPCI or organisation their
    account is bound to (row scoping hangs off these)."""
    id: int | None
    name: str | None
    roles: frozenset[str]
    epci_id: int | None = None
    organisation_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    @property
    def is_agent(self) -> bool:
        return AGENT_EPCI in self.roles and self.epci_id is not None

    @property
    def is_prescripteur(self) -> bool:
        return PRESCRIPTEUR in self.roles


def actor_of(user) -> Actor:
    """An Actor from a Flask-AppBuilder user (None or anonymous: nobody)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return Actor(None, None, frozenset())
    name = (user.get_full_name() or "").strip() or user.username
    return Actor(user.id, name, frozenset(r.name for r in user.roles), getattr(user, "epci_id", None),
                 getattr(user, "organisation_id", None))
