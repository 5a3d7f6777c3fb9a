"""What the handover needs from the programme's settings, as plain data (the app builds it from
its configuration; the domain never reads Flask)."""
from __future__ import annotations

from dataclasses import dataclass, field

from distribution.vocabulary import VatRegime

DEFAULT_PRIORITY_WEIGHTS = {"senior": 3, "disability": 3, "young_isolated": 2, "student": 1}


@dataclass(frozen=True)
class Seller:
    name: str
    address: str | None = None
    siret: str | None = None
    legal_form: str | None = None
    vat_number: str | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "address": self.address, "siret": self.siret,
                "legal_form": self.legal_form, "vat_number": self.vat_number}


@dataclass(frozen=True)
class DistributionSettings:
    seller: Seller
    vat_regime: str = VatRegime.FRANCHISE.value
    reservation_days: int = 14
    priority_weights: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PRIORITY_WEIGHTS))
    contact: str | None = None

    def __post_init__(self) -> None:
        if self.vat_regime not in VatRegime.values():
            raise ValueError(f"VAT_REGIME must be one of {VatRegime.values()}, not {self.vat_regime!r}")


def settings_from(config) -> DistributionSettings:
    """From a mapping of configuration keys (Flask's ``app.config``)."""
    return DistributionSettings(
        seller=Seller(name=config.get("SELLER_NAME") or config.get("PROGRAMME_NAME") or "Rekonekt",
                      address=config.get("SELLER_ADDRESS"), siret=config.get("SELLER_SIRET"),
                      legal_form=config.get("SELLER_LEGAL_FORM"), vat_number=config.get("SELLER_VAT_NUMBER")),
        vat_regime=config.get("VAT_REGIME", VatRegime.FRANCHISE.value),
        reservation_days=int(config.get("RESERVATION_HOLD_DAYS", 14)),
        priority_weights=dict(config.get("PRIORITY_WEIGHTS") or DEFAULT_PRIORITY_WEIGHTS),
        contact=config.get("PROGRAMME_CONTACT"),
    )
