"""Closed vocabularies of the distribution domain (English values, French labels)."""
from __future__ import annotations

from core.vocabulary import Category, Labelled


class ReservationStatus(Labelled):
    ACTIVE = ("active", "Réservé")
    RELEASED = ("released", "Libérée")
    EXPIRED = ("expired", "Expirée")
    HANDED_OVER = ("handed_over", "Remis au foyer")


class VatRegime(Labelled):
    FRANCHISE = ("franchise", "Franchise en base de TVA")
    MARGIN = ("margin", "Régime de la marge (biens d'occasion)")
    STANDARD = ("standard", "TVA au taux normal de la Martinique")


VAT_MENTIONS = {
    VatRegime.FRANCHISE.value: "TVA non applicable, art. 293 B du CGI",
    VatRegime.MARGIN.value: "Régime particulier – Biens d'occasion",
    VatRegime.STANDARD.value: None,
}


class PaymentMethod(Labelled):
    CASH = ("cash", "Espèces")
    CARD = ("card", "Carte bancaire")
    CHEQUE = ("cheque", "Chèque")
    TRANSFER = ("transfer", "Virement")
    VOUCHER = ("voucher", "Bon d'achat ou chèque solidaire")


class InternetAccess(Labelled):
    NONE = ("none", "Aucun accès à internet")
    MOBILE = ("mobile", "Données mobiles uniquement")
    BROADBAND = ("broadband", "Box internet à domicile")


class WorkshopTopic(Labelled):
    COMPUTER = ("computer", "ordinateur")
    SMARTPHONE = ("smartphone", "smartphone")
    TABLET = ("tablet", "tablette")
    ONLINE_SERVICES = ("online_services", "démarches en ligne")


class VenueKind(Labelled):
    SITE = ("site", "Atelier du programme")
    DIGITAL_POINT = ("digital_point", "Point numérique")
    MOBILE_STOP = ("mobile_stop", "Atelier mobile")


def venue_label(name: str, kind: str | None) -> str:
    """How pages and documents name a workshop's venue: « Cyberbase du Marin (point numérique) ».
    The kind is added once, and not when the name already says it (« Cyberbase du Marin (point
    numérique) » typed as the name, « Atelier mobile — bourg du Lorrain »)."""
    name = (name or "").strip()
    kind_label = VenueKind.label_of(kind).lower() if kind else ""
    if not kind_label or kind_label in name.lower():
        return name
    return f"{name} ({kind_label})" if name else kind_label


class BookingStatus(Labelled):
    BOOKED = ("booked", "Inscrit")
    WAITLISTED = ("waitlisted", "En liste d'attente")
    CANCELLED = ("cancelled", "Annulé")
    ATTENDED = ("attended", "Présent")
    NO_SHOW = ("no_show", "Absent")


class BookingGroup:
    """Named groups of booking statuses (values, for ``in`` and ``.in_()`` alike)."""
    # Holds a seat, or waits for one: what cancelling ends.
    LIVE = (BookingStatus.BOOKED.value, BookingStatus.WAITLISTED.value)
    # Took a seat (whether the participant came or not): what counts against capacity and
    # what attendance is recorded on.
    SEATED = (BookingStatus.BOOKED.value, BookingStatus.ATTENDED.value, BookingStatus.NO_SHOW.value)


def topic_for_category(category: str) -> str:
    """The onboarding workshop that goes with a device category."""
    if category == Category.SMARTPHONE.value:
        return WorkshopTopic.SMARTPHONE.value
    if category == Category.TABLET.value:
        return WorkshopTopic.TABLET.value
    return WorkshopTopic.COMPUTER.value
