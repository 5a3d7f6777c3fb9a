"""The solidarity price grid as data (distribution/grids/*.json), versioned like the eligibility
rule sets: category × grade × tier → price (VAT included), category × grade → reference value
(market value of the refurbished device), and accessory prices. No database here."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources

from core.vocabulary import Category
from inventory.vocabulary import Grade

CENT = Decimal("0.01")


class GridInvalid(ValueError):
    """A grid file that cannot be used; ``message`` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class DevicePrice:
    reference_value: Decimal
    prices: dict[int, Decimal]   # tier → solidarity price, VAT included


@dataclass(frozen=True)
class Accessory:
    code: str
    label: str
    price: Decimal


@dataclass(frozen=True)
class PriceGridRules:
    id: str
    title: str
    effective_from: date
    effective_to: date | None
    devices: dict[tuple[str, str], DevicePrice]
    accessories: dict[str, Accessory]

    def price_of(self, category: str, grade: str | None, tier: int | None) -> tuple[Decimal, Decimal]:
        """(solidarity price, reference value) of a device; GridInvalid (French) when the grid
        has no price for it."""
        entry = self.devices.get((category, grade or ""))
        if entry is None:
            raise GridInvalid(f"La grille {self.id} n'a pas de prix pour « {Category.label_of(category)} », "
                              f"note {grade or '(aucune)'}.")
        if tier not in entry.prices:
            raise GridInvalid(f"La grille {self.id} n'a pas de prix pour le palier {tier}.")
        return entry.prices[tier], entry.reference_value


def _money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise GridInvalid(f"Grille invalide : montant illisible pour {field} ({value!r}).") from None
    if not amount.is_finite() or amount < 0:
        raise GridInvalid(f"Grille invalide : montant positif ou nul attendu pour {field}.")
    return amount.quantize(CENT)


def parse_grid(data: dict) -> PriceGridRules:
    """Check and read one grid. Raises GridInvalid naming what is wrong."""
    try:
        devices: dict[tuple[str, str], DevicePrice] = {}
        for row in data["devices"]:
            key = (row["category"], row["grade"])
            if key[0] not in Category.values() or key[1] not in Grade.values():
                raise GridInvalid(f"Grille invalide : catégorie ou note inconnue ({key[0]}, {key[1]}).")
            if key in devices:
                raise GridInvalid(f"Grille invalide : prix en double pour {key[0]}, note {key[1]}.")
            prices = {int(tier): _money(price, f"{key[0]} {key[1]} palier {tier}") for tier, price in row["prices"].items()}
            reference = _money(row["reference_value"], f"la valeur de référence {key[0]} {key[1]}")
            if any(price > reference for price in prices.values()):
                raise GridInvalid(f"Grille invalide : un prix solidaire dépasse la valeur de référence ({key[0]} {key[1]}).")
            devices[key] = DevicePrice(reference, prices)
        accessories = {str(a["code"]): Accessory(str(a["code"]), str(a["label"]), _money(a["price"], a["code"]))
                       for a in data.get("accessories", [])}
        grid = PriceGridRules(
            id=str(data["id"]).strip(), title=str(data.get("title") or data["id"]),
            effective_from=date.fromisoformat(data["effective_from"]),
            effective_to=date.fromisoformat(data["effective_to"]) if data.get("effective_to") else None,
            devices=devices, accessories=accessories)
    except KeyError as exc:
        raise GridInvalid(f"Grille incomplète : champ « {exc.args[0]} » manquant.") from None
    except (AttributeError, TypeError, ValueError) as exc:
        if isinstance(exc, GridInvalid):
            raise
        raise GridInvalid(f"Grille invalide : {exc}.") from None
    if not grid.id or len(grid.id) > 30 or not grid.devices:
        raise GridInvalid("Grille invalide : un identifiant (30 caractères au plus) et des prix sont attendus.")
    if grid.effective_to and grid.effective_to < grid.effective_from:
        raise GridInvalid("Grille invalide : la date de fin précède la date de début.")
    return grid


def bundled_grids() -> list[dict]:
    folder = resources.files("distribution").joinpath("grids")
    return [json.loads(item.read_text(encoding="utf-8")) for item in sorted(folder.iterdir(), key=lambda p: p.name)
            if item.name.endswith(".json")]
