"""The reporting filters: the period's edges in Martinique time, the defaults, the checks of what a
user typed (French messages naming the field), and how each role narrows them."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from core.errors import Forbidden, ValidationFailed
from core.territory import Epci
from core.actor import Actor
from inventory.services.reference import create_organisation
from reporting.filters import Filters, build_filters, parse_day, scoped, with_sites
from reporting.impact import donor_report_data, impact_data
from reporting.queries import checked_filters, filters_from_args, scope_label
from tests.helpers import make_workshop


def test_a_period_is_whole_days_in_martinique_time():
    f = Filters(date(2026, 3, 1), date(2026, 3, 31))
    # Martinique is UTC−4 all year: the period starts at 04:00 UTC on its first day and ends
    # at 04:00 UTC the day after its last day.
    assert f.start_utc == datetime(2026, 3, 1, 4, 0, tzinfo=timezone.utc)
    assert f.end_utc == datetime(2026, 4, 1, 4, 0, tzinfo=timezone.utc)
    one_day = Filters(date(2026, 12, 31), date(2026, 12, 31))
    assert (one_day.start_utc, one_day.end_utc) == (datetime(2026, 12, 31, 4, tzinfo=timezone.utc),
                                                     datetime(2027, 1, 1, 4, tzinfo=timezone.utc))
    moved = f.with_period(date(2025, 1, 1), date(2025, 6, 30))
    assert (moved.start, moved.end, moved.epci_id) == (date(2025, 1, 1), date(2025, 6, 30), None)


def test_build_filters_defaults_and_checks(monkeypatch):
    monkeypatch.setattr("reporting.filters.local_today", lambda: date(2026, 12, 4))
    assert build_filters(start=None, end=None) == Filters(date(2026, 1, 1), date(2026, 12, 4))
    assert build_filters(start=None, end=date(2025, 5, 2)) == Filters(date(2025, 1, 1), date(2025, 5, 2))
    assert build_filters(start=date(2026, 2, 1), end=None, epci_id=2, donor_id=3, category="tablet") == Filters(
        date(2026, 2, 1), date(2026, 12, 4), 2, 3, "tablet")
    assert build_filters(start=date(2026, 5, 5), end=date(2026, 5, 5), category="").category is None
    with pytest.raises(ValidationFailed) as backwards:
        build_filters(start=date(2026, 5, 6), end=date(2026, 5, 5))
    assert backwards.value.errors == {"from": ["La date de début doit précéder la date de fin."]}
    with pytest.raises(ValidationFailed) as unknown:
        build_filters(start=None, end=None, category="toaster")
    assert unknown.value.errors == {"category": [
        "Catégorie inconnue : valeurs acceptées : laptop, desktop, tablet, smartphone, monitor, printer, network, other."]}


def test_parse_day():
    assert parse_day(" 2026-02-28 ", "from") == date(2026, 2, 28)
    assert parse_day("", "from") is None and parse_day(None, "to") is None
    with pytest.raises(ValidationFailed) as bad:
        parse_day("28/02/2026", "to")
    assert bad.value.errors == {"to": ["Date attendue au format AAAA-MM-JJ."]}


ANY = Filters(date(2026, 1, 1), date(2026, 6, 30))


def who(*roles, epci=None, organisation=None) -> Actor:
    return Actor(1, "X", frozenset(roles), epci, organisation)


def test_each_role_narrows_the_filters():
    assert scoped(ANY, who("Admin")) == ANY
    assert scoped(Filters(ANY.start, ANY.end, 3, 4, "tablet"), who("Admin")).donor_id == 4
    assert scoped(ANY, who("Agent EPCI", epci=2)).epci_id == 2
    assert scoped(Filters(ANY.start, ANY.end, epci_id=2), who("Agent EPCI", epci=2)).epci_id == 2
    partner = scoped(Filters(ANY.start, ANY.end, epci_id=1), who("Partenaire", organisation=7))
    assert (partner.donor_id, partner.epci_id) == (7, 1)       # an EPCI narrows their own donations
    assert scoped(Filters(ANY.start, ANY.end, donor_id=7), who("Partenaire", organisation=7)).donor_id == 7


@pytest.mark.parametrize("filters,actor,message", [
    (Filters(ANY.start, ANY.end, epci_id=3), who("Agent EPCI", epci=2), "Vous ne voyez que les chiffres de votre EPCI."),
    (Filters(ANY.start, ANY.end, donor_id=8), who("Partenaire", organisation=7),
     "Vous ne voyez que les dons de votre organisation."),
    (ANY, who("Partenaire"), "Votre rôle ne donne pas accès aux indicateurs du programme."),
    (ANY, who("Agent EPCI"), "Votre rôle ne donne pas accès aux indicateurs du programme."),
    (ANY, who("Technicien"), "Votre rôle ne donne pas accès aux indicateurs du programme."),
    (ANY, who("Prescripteur", "Animateur"), "Votre rôle ne donne pas accès aux indicateurs du programme."),
])
def test_asking_for_more_is_refused(filters, actor, message):
    with pytest.raises(Forbidden) as refused:
        scoped(filters, actor)
    assert refused.value.message == message


def test_an_epci_is_read_as_its_sites(session):
    shop = make_workshop(session)      # a workshop at Le Lamentin (CACEM)
    epcis = {e.short_name: e.id for e in session.query(Epci)}
    cacem = with_sites(session, Filters(ANY.start, ANY.end, epci_id=epcis["CACEM"]))
    assert cacem.epci_site_ids == (shop["site"].id,)
    from inventory.services.reference import create_site

    later = [create_site(session, code=code, name=f"Atelier {code}", kind="workshop", commune_insee=insee).id
             for code, insee in (("FDF", "97209"), ("SCH", "97229"))]
    both = with_sites(session, Filters(ANY.start, ANY.end, epci_id=epcis["CACEM"])).epci_site_ids
    assert both == tuple(sorted([shop["site"].id, *later]))
    assert with_sites(session, Filters(ANY.start, ANY.end, epci_id=epcis["CAP Nord"])).epci_site_ids == ()
    assert with_sites(session, ANY) is ANY
    assert with_sites(session, cacem) is cacem


def test_the_query_string(session):
    shop = make_workshop(session)
    recipient = create_organisation(session, kind="donor", name="Autre donateur")
    epcis = {e.short_name: e.id for e in session.query(Epci)}
    f = filters_from_args(session, {"from": "2026-01-01", "to": "2026-03-31", "epci": " cap nord ",
                                    "donor": f" {recipient.id} ", "category": " laptop "})
    assert f == Filters(date(2026, 1, 1), date(2026, 3, 31), epcis["CAP Nord"], recipient.id, "laptop")
    assert filters_from_args(session, {"from": "2026-01-01", "epci": str(epcis["Espace Sud"])}).epci_id == epcis["Espace Sud"]
    plain = filters_from_args(session, {"from": "2026-01-01", "to": "2026-01-31", "epci": "", "donor": "", "category": ""})
    assert (plain.epci_id, plain.donor_id, plain.category) == (None, None, None)
    for args, field, message in (
            ({"epci": "Guadeloupe"}, "epci", "EPCI inconnu : CACEM, CAP Nord ou Espace Sud."),
            ({"epci": "999"}, "epci", "EPCI inconnu : CACEM, CAP Nord ou Espace Sud."),
            ({"donor": "abc"}, "donor", "Identifiant d'organisation donatrice attendu."),
            ({"donor": "99999"}, "donor", "Identifiant d'organisation donatrice attendu."),
            ({"from": "hier"}, "from", "Date attendue au format AAAA-MM-JJ."),
            ({"to": "demain"}, "to", "Date attendue au format AAAA-MM-JJ.")):
        with pytest.raises(ValidationFailed) as bad:
            filters_from_args(session, args)
        assert bad.value.errors == {field: [message]}, args
    assert shop["donor"].id != recipient.id


EPCI_UNKNOWN = {"epci": ["EPCI inconnu : CACEM, CAP Nord ou Espace Sud."]}
DONOR_EXPECTED = {"donor": ["Identifiant d'organisation donatrice attendu."]}


@pytest.mark.parametrize("args,errors", [
    ({"epci": "²"}, EPCI_UNKNOWN),                          # a digit to str.isdigit, not to int()
    ({"epci": "99999999999999999999"}, EPCI_UNKNOWN),        # beyond any INTEGER column
    ({"epci": "2147483648"}, EPCI_UNKNOWN),
    ({"epci": "0"}, EPCI_UNKNOWN),
    ({"epci": "-1"}, EPCI_UNKNOWN),
    ({"epci": "CA\x00CEM"}, EPCI_UNKNOWN),
    ({"donor": "²"}, DONOR_EXPECTED),
    ({"donor": "99999999999999999999"}, DONOR_EXPECTED),
    ({"donor": "2147483648"}, DONOR_EXPECTED),
    ({"donor": "1e3"}, DONOR_EXPECTED),
    ({"category": "toaster"}, {"category": [
        "Catégorie inconnue : valeurs acceptées : laptop, desktop, tablet, smartphone, monitor, printer, network, other."]}),
])
def test_the_query_string_ids_are_checked_in_reporting(session, args, errors):
    """filters_from_args checks its ids itself: the dashboard, the API and the command line rely
    on it (``"²"`` raised ValueError, twenty digits OverflowError on SQLite and « integer out of
    range » on PostgreSQL, unless the web edge had refused them first)."""
    with pytest.raises(ValidationFailed) as bad:
        filters_from_args(session, args)
    assert bad.value.errors == errors


def test_filters_built_in_code_are_checked_against_the_rows(session):
    shop = make_workshop(session)
    epcis = {e.short_name: e.id for e in session.query(Epci)}
    known = Filters(ANY.start, ANY.end, epcis["CACEM"], shop["donor"].id, "laptop")
    assert checked_filters(session, known) is known
    for filters, errors in ((Filters(ANY.start, ANY.end, epci_id=999_999), EPCI_UNKNOWN),
                            (Filters(ANY.start, ANY.end, epci_id=10**20), EPCI_UNKNOWN),
                            (Filters(ANY.start, ANY.end, donor_id=999_999), DONOR_EXPECTED),
                            (Filters(ANY.start, ANY.end, donor_id=10**20), DONOR_EXPECTED)):
        with pytest.raises(ValidationFailed) as bad:
            checked_filters(session, filters)
        assert bad.value.errors == errors
        with pytest.raises(ValidationFailed) as bad:
            impact_data(session, "2026-S1", filters, programme_name="P", scope="—")
        assert bad.value.errors == errors


def test_the_donor_report_needs_a_known_donor(session):
    shop = make_workshop(session)
    with pytest.raises(ValidationFailed) as none:
        donor_report_data(session, ANY, programme_name="P", period_label=None)
    assert none.value.errors == {"donor": ["Choisissez un donateur (paramètre donor) pour produire son rapport."]}
    assert none.value.message == "Choisissez un donateur (paramètre donor) pour produire son rapport."
    with pytest.raises(ValidationFailed) as unknown:
        donor_report_data(session, Filters(ANY.start, ANY.end, donor_id=999_999), programme_name="P", period_label=None)
    assert unknown.value.errors == DONOR_EXPECTED
    report = donor_report_data(session, Filters(ANY.start, ANY.end, donor_id=shop["donor"].id), programme_name="P",
                               period_label=None)
    assert report["donor_name"] == "Donateur Test"


def test_the_scope_label(session):
    shop = make_workshop(session)
    epcis = {e.short_name: e.id for e in session.query(Epci)}
    assert scope_label(session, ANY) == "Tout le programme"
    assert scope_label(session, Filters(ANY.start, ANY.end, epci_id=epcis["CAP Nord"])) == "EPCI : CAP Nord"
    assert scope_label(session, Filters(ANY.start, ANY.end, epcis["CAP Nord"], shop["donor"].id)) == \
        "Donateur : Donateur Test"
