"""Territory reference data: the 3 EPCI and the 34 communes of Martinique, with postal codes.

A commune is identified by its INSEE code. Postal codes are a separate table: Fort-de-France has
two, and some postal codes are shared by several communes (97218, 97222, 97250).
"""
from __future__ import annotations

import csv
from importlib import resources

from sqlalchemy import Boolean, ForeignKey, Integer, String, false, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.base import Model


class Epci(Model):
    __tablename__ = "epci"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    siren: Mapped[str] = mapped_column(String(9), unique=True, nullable=False)
    short_name: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    official_name: Mapped[str] = mapped_column(String(200), nullable=False)
    # An EPCI with a single agent may validate the income its agent entered (four-eyes waived).
    single_agent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())

    communes: Mapped[list["Commune"]] = relationship(back_populates="epci", order_by="Commune.name")

    def __str__(self) -> str:
        return self.short_name


class Commune(Model):
    __tablename__ = "commune"

    insee_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    epci_id: Mapped[int] = mapped_column(ForeignKey("epci.id"), nullable=False, index=True)

    epci: Mapped[Epci] = relationship(back_populates="communes")
    postal_codes: Mapped[list["PostalCode"]] = relationship(
        back_populates="commune", order_by="PostalCode.code", cascade="all, delete-orphan"
    )

    @property
    def postal_code_list(self) -> str:
        return ", ".join(p.code for p in self.postal_codes)

    def __str__(self) -> str:
        return self.name


class PostalCode(Model):
    __tablename__ = "postal_code"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("commune.insee_code"), primary_key=True)

    commune: Mapped[Commune] = relationship(back_populates="postal_codes")

    def __str__(self) -> str:
        return self.code


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("core").joinpath("data", filename).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def load_territory(session: Session) -> dict[str, int]:
    """Insert or update the EPCI, communes and postal codes from the bundled CSV files.

    Idempotent: running it again changes nothing. Commits. Returns how many rows of each kind
    the files hold.
    """
    epcis = {e.siren: e for e in session.execute(select(Epci)).scalars()}
    for row in _rows("epci.csv"):
        epci = epcis.get(row["siren"])
        if epci is None:
            epci = Epci(siren=row["siren"])
            session.add(epci)
            epcis[row["siren"]] = epci
        epci.short_name = row["short_name"]
        epci.official_name = row["official_name"]
    session.flush()

    communes = {c.insee_code: c for c in session.execute(select(Commune)).scalars()}
    rows = _rows("communes.csv")
    for row in rows:
        commune = communes.get(row["insee_code"])
        if commune is None:
            commune = Commune(insee_code=row["insee_code"])
            session.add(commune)
        commune.name = row["name"]
        commune.epci = epcis[row["epci_siren"]]
        wanted = row["postal_codes"].split()
        have = {p.code for p in commune.postal_codes}
        for code in wanted:
            if code not in have:
                commune.postal_codes.append(PostalCode(code=code))
        for postal in list(commune.postal_codes):
            if postal.code not in wanted:
                commune.postal_codes.remove(postal)
    session.commit()
    return {"epci": len(epcis), "communes": len(rows)}


def communes_for_postal_code(session: Session, code: str) -> list[Commune]:
    """Every commune served by a postal code (there may be several)."""
    return list(
        session.execute(
            select(Commune).join(PostalCode).where(PostalCode.code == code).order_by(Commune.name)
        ).scalars()
    )
