"""Closed vocabularies of the workshop domain: English values in code and in the database,
French labels for the users."""
from __future__ import annotations

from core.vocabulary import Category, Labelled


class SiteKind(Labelled):
    WORKSHOP = ("workshop", "Atelier")
    WAREHOUSE = ("warehouse", "Entrepôt")


class LocationKind(Labelled):
    BIN = ("bin", "Bac")
    SHELF = ("shelf", "Étagère")


# Phones and tablets: one internal "flash" medium by default; an IMEI when they have a radio.
MOBILE_CATEGORIES = frozenset({Category.TABLET, Category.SMARTPHONE})


class Grade(Labelled):
    A = ("A", "A — très bon état")
    B = ("B", "B — bon état")
    C = ("C", "C — état correct")


class MediumKind(Labelled):
    HDD = ("hdd", "Disque dur (HDD)")
    SSD = ("ssd", "SSD SATA")
    NVME = ("nvme", "SSD NVMe")
    EMMC = ("emmc", "Mémoire eMMC")
    FLASH = ("flash", "Mémoire interne (flash)")
    SDCARD = ("sdcard", "Carte SD")


class ErasureLevel(Labelled):
    """NIST SP 800-88 sanitisation levels."""

    CLEAR = ("clear", "Effacement (clear)")
    PURGE = ("purge", "Purge")
    DESTROY = ("destroy", "Destruction")


class ErasureTechnique(Labelled):
    OVERWRITE = ("overwrite", "Réécriture")
    ATA_SECURE_ERASE = ("ata-secure-erase", "ATA Secure Erase")
    NVME_SANITIZE = ("nvme-sanitize", "NVMe Sanitize")
    CRYPTO_ERASE = ("crypto-erase", "Effacement cryptographique")
    FACTORY_RESET = ("factory-reset", "Réinitialisation d'usine")
    SHRED = ("shred", "Broyage")
    DRILL = ("drill", "Perçage")


# Physical destruction techniques go with the "destroy" level, and only with it.
DESTRUCTION_TECHNIQUES = frozenset({ErasureTechnique.SHRED, ErasureTechnique.DRILL})


class ErasureResult(Labelled):
    PASS = ("pass", "Réussi")
    PASS_WITH_WARNINGS = ("pass_with_warnings", "Réussi avec avertissements")
    FAIL = ("fail", "Échec")


class Destination(Labelled):
    """What becomes of a medium after sanitisation (NIST SP 800-88 certificate field)."""

    REUSE = ("reuse", "Réemploi")
    RECYCLING = ("recycling", "Recyclage")
    DESTRUCTION = ("destruction", "Destruction")


class MediumOrigin(Labelled):
    """Donated media came with the device and may hold the donor's data; fitted media were
    installed by the workshop (a new SSD during repair) and never held donor data."""

    DONATED = ("donated", "Donné avec l'appareil")
    FITTED = ("fitted", "Posé à l'atelier")


class ErasureSource(Labelled):
    MANUAL = ("manual", "Saisie")
    NWIPE = ("nwipe", "Journal nwipe")
    GENERIC = ("generic", "Rapport JSON/CSV")


class Station(Labelled):
    """Scan-station modes. Each but reception applies the transition to ``target``."""

    RECEPTION = ("reception", "Réception")
    WIPING = ("wiping", "Effacement")
    REPAIR = ("repair", "Réparation")
    GRADING = ("grading", "Contrôle")
    STOCK = ("stock", "Stock")


class PartType(Labelled):
    BATTERY = ("battery", "Batterie")
    SCREEN = ("screen", "Écran / dalle")
    KEYBOARD = ("keyboard", "Clavier")
    RAM = ("ram", "Mémoire vive")
    SSD = ("ssd", "SSD")
    HDD = ("hdd", "Disque dur")
    CHARGER = ("charger", "Chargeur")
    FAN = ("fan", "Ventilateur")
    MOTHERBOARD = ("motherboard", "Carte mère")
    CAMERA = ("camera", "Caméra")
    CHARGING_PORT = ("charging_port", "Connecteur de charge")
    OTHER = ("other", "Autre")


# Parts that carry data: fitting one gives the device a new storage medium (origin "fitted").
STORAGE_PART_KINDS = {PartType.SSD: "ssd", PartType.HDD: "hdd"}


class RepairOutcome(Labelled):
    REPAIRED = ("repaired", "Réparé")
    NOT_REPAIRABLE = ("not_repairable", "Irréparable")


class SnapshotStatus(Labelled):
    """What a received hardware snapshot became (``inventory.services.snapshots``)."""

    REGISTERED = ("registered", "Appareil enregistré")
    COMPLETED = ("completed", "Fiche complétée")
    UNCHANGED = ("unchanged", "Rien à compléter")
    QUEUED = ("queued", "En attente d'un technicien")
    DISMISSED = ("dismissed", "Écarté")
