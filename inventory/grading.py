"""Grading by checklist, as plain Python: the default templates and the grade computation.

Rules: any failed functional item, or a measure below its threshold (battery health under 80 %
by default), sends the device back to repair with no grade. Otherwise the cosmetic state decides:
A = no visible marks, B = light marks, C = visible wear. The technician may lower the computed
grade (with a note), never raise it.
"""
from __future__ import annotations

from dataclasses import dataclass

from inventory.vocabulary import Grade

BOOL, PERCENT = "bool", "percent"
DEFAULT_BATTERY_THRESHOLD = 80

COSMETIC = {
    "A": "A — aucune marque visible",
    "B": "B — légères marques",
    "C": "C — usure visible",
}


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    kind: str = BOOL
    threshold: float | None = None   # for a percent: the lowest passing value

    def as_dict(self) -> dict:
        data = {"key": self.key, "label": self.label, "kind": self.kind}
        if self.threshold is not None:
            data["threshold"] = self.threshold
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Item":
        return cls(data["key"], data["label"], data.get("kind", BOOL), data.get("threshold"))


BATTERY = Item("battery_health", "Santé de la batterie (% de la capacité d'origine)", PERCENT, DEFAULT_BATTERY_THRESHOLD)
STORAGE = Item("storage_health", "Stockage : état SMART correct")


DEFAULT_TEMPLATES: dict[str, list[Item]] = {
    "laptop": [
        Item("boots", "Démarre jusqu'au système"), Item("screen", "Écran : affichage sans défaut"),
        Item("keyboard", "Clavier : toutes les touches"), Item("touchpad", "Pavé tactile et clics"), BATTERY, STORAGE,
        Item("wifi", "Wi-Fi"), Item("usb_ports", "Ports USB"), Item("webcam", "Webcam"),
        Item("audio", "Son : haut-parleurs, micro, prise casque"), Item("charger", "Chargeur fourni et fonctionnel"),
    ],
    "smartphone": [
        Item("screen_touch", "Écran et tactile"), BATTERY, Item("cameras", "Appareils photo avant et arrière"),
        Item("microphone_speaker", "Micro et haut-parleur"), Item("sim_network", "Carte SIM et réseau mobile"),
        Item("charging_port", "Port de charge"),
        Item("activation_lock_removed", "Verrou d'activation / FRP retiré"),
        Item("imei_blacklist_checked", "IMEI vérifié sur la liste des appareils volés (contrôle fait)"),
    ],
    "tablet": [
        Item("boots", "Démarre jusqu'au système"), Item("screen_touch", "Écran et tactile"), BATTERY,
        Item("cameras", "Appareils photo"), Item("audio", "Son : haut-parleurs et micro"), Item("wifi", "Wi-Fi"),
        Item("charging_port", "Port de charge"), Item("activation_lock_removed", "Verrou d'activation / FRP retiré"),
    ],
    "desktop": [
        Item("boots", "Démarre jusqu'au système"), Item("video_output", "Sortie vidéo"), Item("usb_ports", "Ports USB"),
        Item("network", "Réseau (Ethernet ou Wi-Fi)"), Item("audio", "Son"),
        STORAGE, Item("cooling", "Ventilation silencieuse et efficace"),
    ],
    "monitor": [
        Item("powers_on", "S'allume"), Item("display", "Affichage sans pixel mort ni tache"),
        Item("inputs", "Entrées vidéo"), Item("stand", "Pied et fixations"), Item("cable", "Câble d'alimentation fourni"),
    ],
}
GENERIC_TEMPLATE = [Item("powers_on", "S'allume"), Item("functions", "Fonctions principales testées")]
for _category in ("printer", "network", "other"):
    DEFAULT_TEMPLATES[_category] = list(GENERIC_TEMPLATE)


@dataclass(frozen=True)
class Reading:
    """What a machine measured about itself for one checklist item (a hardware snapshot: the
    battery's health, the disks' SMART health), offered as the item's starting value. The
    technician confirms it or changes it: it is never recorded without them."""

    key: str
    value: bool | float
    source: str      # in French, where the value comes from


def prefill(items: list[Item], readings: list[Reading]) -> dict[str, Reading]:
    """The readings that fit this checklist: an item with the same key and a value of its kind
    (a percentage for a measure, clamped to 0–100: a new battery may hold more than its design
    capacity; works/fails for the others)."""
    by_key = {item.key: item for item in items}
    fitting = {}
    for reading in readings:
        item = by_key.get(reading.key)
        if item is None:
            continue
        if item.kind == PERCENT and not isinstance(reading.value, bool):
            fitting[item.key] = Reading(item.key, round(min(max(float(reading.value), 0.0), 100.0), 1), reading.source)
        elif item.kind == BOOL and isinstance(reading.value, bool):
            fitting[item.key] = reading
    return fitting


@dataclass
class Outcome:
    grade: str | None          # None: failed, back to repair
    computed: str | None
    failing: list[Item]


class ChecklistInvalid(ValueError):
    """``errors`` maps ``checklist.<key>`` (or ``cosmetic``/``grade``/``note``) to French messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for msgs in errors.values() for m in msgs))
        self.errors = errors


def _read_value(item: Item, value):
    if item.kind == BOOL:
        if isinstance(value, bool):
            return value
        raise ChecklistInvalid({f"checklist.{item.key}": [f"{item.label} : vrai (fonctionne) ou faux (ne fonctionne pas) attendu."]})
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise ChecklistInvalid({f"checklist.{item.key}": [f"{item.label} : pourcentage de 0 à 100 attendu."]})
    return float(value)


def compute(items: list[Item], checklist: dict, cosmetic: str, lowered_to: str | None = None,
            note: str | None = None) -> Outcome:
    """The grade for these checklist values. Raises ChecklistInvalid naming every problem:
    missing or unknown items, wrong values, a raised grade, a lowered grade without a note."""
    errors: dict[str, list[str]] = {}
    known = {item.key for item in items}
    for item in items:
        if item.key not in checklist or checklist[item.key] is None:
            errors[f"checklist.{item.key}"] = [f"Élément manquant : {item.label}."]
    for key in checklist:
        if key not in known:
            errors[f"checklist.{key}"] = [f"Élément inconnu pour cette catégorie : valeurs attendues : {', '.join(sorted(known))}."]
    if cosmetic not in COSMETIC:
        errors["cosmetic"] = ["État esthétique attendu : A (aucune marque), B (légères marques) ou C (usure visible)."]
    values = {}
    for item in items:
        if item.key in checklist and checklist[item.key] is not None:
            try:
                values[item.key] = _read_value(item, checklist[item.key])
            except ChecklistInvalid as exc:
                errors.update(exc.errors)
    if lowered_to is not None and lowered_to not in Grade.values():
        errors["grade"] = [f"Note inconnue : valeurs acceptées : {', '.join(Grade.values())}."]
    if errors:
        raise ChecklistInvalid(errors)

    failing = [item for item in items
               if (item.kind == BOOL and values[item.key] is False)
               or (item.kind == PERCENT and item.threshold is not None and values[item.key] < item.threshold)]
    if failing:
        return Outcome(None, None, failing)
    computed = cosmetic
    if lowered_to is None or lowered_to == computed:
        return Outcome(computed, computed, [])
    if lowered_to < computed:  # "A" < "B": a better letter
        raise ChecklistInvalid({"grade": [f"La note calculée est {computed} : elle peut être abaissée, jamais relevée."]})
    if not (note or "").strip():
        raise ChecklistInvalid({"note": [f"Dites pourquoi la note passe de {computed} à {lowered_to}."]})
    return Outcome(lowered_to, computed, [])
