"""Invoice amounts under each VAT regime, in exact decimal arithmetic. No database here.

Grid prices include VAT. Under ``standard`` (Martinique normal rate, 8.5 %), each line's amount
excluding VAT is price ÷ 1.085 rounded half-up to the cent, and its VAT is the price minus that
amount; the totals are the sums of the lines. Under ``franchise`` and ``margin`` no VAT is shown:
the amount excluding VAT equals the price and the VAT is zero."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from distribution.vocabulary import VatRegime

CENT = Decimal("0.01")
MARTINIQUE_STANDARD_RATE = Decimal("0.085")


@dataclass(frozen=True)
class LineAmounts:
    quantity: int
    unit_price_ttc: Decimal
    total_ttc: Decimal
    total_ht: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    total_ttc: Decimal
    total_ht: Decimal
    vat: Decimal


def vat_rate(regime: str) -> Decimal:
    return MARTINIQUE_STANDARD_RATE if regime == VatRegime.STANDARD.value else Decimal("0")


def line_amounts(unit_price_ttc: Decimal, quantity: int, regime: str) -> LineAmounts:
    """One line: quantity × unit price (VAT included), split into HT and VAT under ``regime``."""
    if regime not in VatRegime.values():
        raise ValueError(f"unknown VAT regime {regime!r}")
    total_ttc = (unit_price_ttc * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
    if regime == VatRegime.STANDARD.value:
        total_ht = (total_ttc / (1 + MARTINIQUE_STANDARD_RATE)).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        total_ht = total_ttc
    return LineAmounts(quantity, unit_price_ttc.quantize(CENT), total_ttc, total_ht, total_ttc - total_ht)


def totals(lines: list[LineAmounts]) -> Totals:
    return Totals(sum((l.total_ttc for l in lines), Decimal("0.00")),
                  sum((l.total_ht for l in lines), Decimal("0.00")),
                  sum((l.vat for l in lines), Decimal("0.00")))
