"""The vocabulary base and the vocabularies every domain shares: English values in code and in
the database, French labels for the users."""
from __future__ import annotations

from enum import Enum


class Labelled(str, Enum):
    """A string enum whose members also carry a French label."""

    def __new__(cls, value: str, label: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    def __str__(self) -> str:  # so that f"{member}" is its value, not "Class.MEMBER"
        return self.value

    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def label_of(cls, value: str | None) -> str:
        if value is None:
            return ""
        try:
            return cls(value).label
        except ValueError:
            return value


class OrganisationKind(Labelled):
    DONOR = ("donor", "Donateur")
    WORKSHOP = ("workshop", "Atelier")
    REFERRER = ("referrer", "Prescripteur")
    FUNDER = ("funder", "Financeur")
    DIGITAL_POINT = ("digital_point", "Point numérique")


class Category(Labelled):
    LAPTOP = ("laptop", "Ordinateur portable")
    DESKTOP = ("desktop", "Ordinateur fixe")
    TABLET = ("tablet", "Tablette")
    SMARTPHONE = ("smartphone", "Smartphone")
    MONITOR = ("monitor", "Écran")
    PRINTER = ("printer", "Imprimante")
    NETWORK = ("network", "Matériel réseau")
    OTHER = ("other", "Autre")
