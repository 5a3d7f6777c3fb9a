"""Organisations: donors, workshops, referrers, funders and digital points. Every domain hangs off
them (a collection's donor, a household's referrer, a workshop's venue, a user's binding)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.base import Model, in_values
from core.clock import utcnow
from core.territory import Commune
from core.types import UTCDateTime
from core.vocabulary import OrganisationKind


class Organisation(Model):
    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(in_values("kind", OrganisationKind.values()), name="kind"),
        CheckConstraint("siret IS NULL OR length(siret) = 14", name="siret_length"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    siret: Mapped[str | None] = mapped_column(String(14), unique=True)
    commune_insee: Mapped[str | None] = mapped_column(ForeignKey("commune.insee_code"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    commune: Mapped[Commune | None] = relationship()

    @property
    def kind_label(self) -> str:
        return OrganisationKind.label_of(self.kind)

    def __str__(self) -> str:
        return self.name
