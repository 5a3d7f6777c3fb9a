"""Mobile units (issue 20, step 5 of docs/mobile-tour-design.md): Admin only; codes M1, M2… from a
counter, never given twice; names checked; retiring records the last number of each year from the
unit's invoices, and is refused while a tour has the unit out. Pure rules first, then the services
on both engines."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select

from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from distribution.services import handover as handover_module
from distribution.services.mobile_units import (
    create_unit,
    rename_unit,
    retire_unit,
    unit_overview,
    units_overview,
)
from distribution.tour.models import MobileTour, MobileUnit
from distribution.tour.units import (
    TourOut,
    UnitOverview,
    UnitState,
    YearSeries,
    closed_numbers,
    closed_series,
    series_prefix,
    unit_code,
    unit_json,
    year_series,
)
from tests.distribution.test_handover import handed_over
from tests.helpers import actor

NOW = datetime(2026, 12, 9, 15, 30, tzinfo=timezone.utc)


# --- pure rules ---------------------------------------------------------------------------------

def test_codes_and_series_prefixes():
    assert [unit_code(n) for n in (1, 2, 10, 999)] == ["M1", "M2", "M10", "M999"]
    for n in (0, -1, 1000):
        with pytest.raises(ValueError):
            unit_code(n)
    assert series_prefix("M12") == "F-M12"


def test_the_series_of_a_unit_year_by_year_from_its_numbers():
    numbers = [("F-M1-2026-00002", 1), ("F-M1-2025-00007", 1), ("F-M1-2026-00012", 10), ("F-M1-2026-00001", 1),
               ("F-M2-2026-00099", 1), ("F-2026-00050", 1), ("AV-2026-00001", 1), ("nonsense", 1)]
    assert year_series("M1", numbers) == [YearSeries(2025, 7, 1, "F-M1-2025-00007"),
                                          YearSeries(2026, 12, 12, "F-M1-2026-00012")]
    assert closed_series(year_series("M1", numbers)) == {"2025": 7, "2026": 12}
    assert year_series("M3", numbers) == [] and closed_series([]) == {}


def test_a_closed_series_as_printed_numbers():
    assert closed_numbers("M1", {"2026": 12, "2025": 3}) == ("F-M1-2025-00003", "F-M1-2026-00012")
    assert closed_numbers("M1", None) == () and closed_numbers("M1", {}) == ()
    assert closed_numbers("M1", {"x": 1, "2026": 0, "2027": "3"}) == ()


def test_a_unit_s_state_and_its_answer_for_programs():
    created = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    series = (YearSeries(2026, 12, 12, "F-M1-2026-00012"),)
    active = UnitOverview(1, "M1", "Camion Nord", True, created, series)
    tour = TourOut(5, "TRN-2026-0041", "Tech Test", date(2026, 12, 9), created)
    out = UnitOverview(1, "M1", "Camion Nord", True, created, series, tour=tour)
    retired = UnitOverview(1, "M1", "Camion Nord", False, created, series, retired_at=created,
                           retired_by="Admin Test", retired_reason="vol", closed_series={"2026": 12})
    assert [u.state for u in (active, out, retired)] == [UnitState.ACTIVE, UnitState.OUT, UnitState.RETIRED]
    assert [u.state_label for u in (active, out, retired)] == ["Active", "En tournée", "Retirée"]
    assert active.invoice_count == 12 and active.series_prefix == "F-M1"
    body = unit_json(out)
    assert body["state"] == "out" and body["series_prefix"] == "F-M1" and body["invoice_count"] == 12
    assert body["series"] == [{"year": 2026, "last": 12, "last_number": "F-M1-2026-00012", "count": 12}]
    assert body["tour"] == {"id": 5, "reference": "TRN-2026-0041", "holder": "Tech Test", "tour_date": "2026-12-09",
                            "downloaded_at": "2026-12-01T12:00:00+00:00"}
    assert body["created_at"] == "2026-12-01T12:00:00+00:00" and body["retired_at"] is None
    assert unit_json(retired)["closed_series"] == {"2026": 12}
    assert unit_json(retired)["closed_numbers"] == ["F-M1-2026-00012"]


# --- services, both engines ---------------------------------------------------------------------

def test_only_admin_manages_units(app, session):
    admin = actor(app, "admin")
    unit = create_unit(session, admin, name="Camion Nord")
    for username in ("technicien", "animateur", "agent.cacem"):
        who = actor(app, username)
        with pytest.raises(Forbidden, match="Seul l'administrateur gère les unités mobiles."):
            create_unit(session, who, name="Camion Sud")
        with pytest.raises(Forbidden):
            rename_unit(session, who, unit.id, name="Camion Sud")
        with pytest.raises(Forbidden):
            retire_unit(session, who, unit.id, reason="vol")
    assert session.execute(select(MobileUnit.code)).scalars().all() == ["M1"]
    assert unit.active and unit.created_by_id == admin.id


def test_codes_follow_a_counter_and_are_never_given_twice(app, session):
    admin = actor(app, "admin")
    assert [create_unit(session, admin, name=n).code for n in ("Camion Nord", "Portable Sud")] == ["M1", "M2"]
    # Even a unit row removed (which nothing in the application does) leaves its code taken.
    session.execute(delete(MobileUnit).where(MobileUnit.code == "M2"))
    session.commit()
    assert create_unit(session, admin, name="Camion Centre").code == "M3"
    # A refused creation gives its number back: no gap.
    with pytest.raises(ValidationFailed):
        create_unit(session, admin, name="camion nord")
    assert create_unit(session, admin, name="Camion Ouest").code == "M4"


def test_a_name_is_required_trimmed_short_and_unique_among_active_units(app, session):
    admin = actor(app, "admin")
    unit = create_unit(session, admin, name="  Camion \t Nord  ")
    assert unit.name == "Camion Nord"
    refusals = {
        "": "Nom de l'unité : obligatoire (par exemple « Camion Nord »).",
        "   ": "Nom de l'unité : obligatoire (par exemple « Camion Nord »).",
        None: "Nom de l'unité : obligatoire (par exemple « Camion Nord »).",
        "x" * 101: "Nom de l'unité : 100 caractères au plus (101 saisis).",
        12: "Nom de l'unité : texte attendu (par exemple « Camion Nord »).",
        "a\x00b": "Nom de l'unité : texte sans caractère nul ni caractère isolé attendu.",
        "CAMION NORD": "Nom de l'unité : « Camion Nord » est déjà le nom de l'unité active M1 ; choisissez-en un autre.",
    }
    for name, message in refusals.items():
        with pytest.raises(ValidationFailed) as refused:
            create_unit(session, admin, name=name)
        assert refused.value.errors == {"name": [message]}, name
        assert refused.value.message == message
    assert create_unit(session, admin, name="x" * 100).code == "M2"
    # A retired unit's name may be given again: the van carries on as a new unit.
    retire_unit(session, admin, unit.id, reason="Appareil perdu")
    again = create_unit(session, admin, name="Camion Nord")
    assert again.code == "M3" and again.name == "Camion Nord"


def test_renaming_an_active_unit(app, session):
    admin = actor(app, "admin")
    north = create_unit(session, admin, name="Camion Nord")
    south = create_unit(session, admin, name="Camion Sud")
    assert rename_unit(session, admin, north.id, name=" Camion  du Nord ").name == "Camion du Nord"
    assert rename_unit(session, admin, north.id, name="CAMION DU NORD").name == "CAMION DU NORD"   # its own name
    with pytest.raises(ValidationFailed, match="déjà le nom de l'unité active M2") as refused:
        rename_unit(session, admin, north.id, name="camion sud")
    assert list(refused.value.errors) == ["name"]
    with pytest.raises(ValidationFailed, match="obligatoire"):
        rename_unit(session, admin, north.id, name="")
    with pytest.raises(NotFound, match="Unité mobile introuvable."):
        rename_unit(session, admin, 999999, name="Ailleurs")
    with pytest.raises(NotFound):
        rename_unit(session, admin, "abc", name="Ailleurs")
    retire_unit(session, admin, south.id, reason="Remplacé", now=NOW)
    with pytest.raises(Conflict) as refused:
        rename_unit(session, admin, south.id, name="Camion Sud bis")
    assert refused.value.message == "L'unité M2 est retirée depuis le 09/12/2026 : son nom ne change plus."
    session.expire_all()
    assert (session.get(MobileUnit, north.id).name, session.get(MobileUnit, south.id).name) == (
        "CAMION DU NORD", "Camion Sud")


def _unit_invoices(app, session, shop, monkeypatch, numbers: list[tuple[MobileUnit | None, str | None]]):
    """Hand devices over, each invoice numbered and tied to the unit given (None, None: an office
    invoice as issued). The unit chain itself (step 4) is not what these tests are about: only the
    number and the unit are set, before the invoice is first written."""
    wanted = iter(numbers)
    issue = handover_module.issue_invoice

    def issued_by_unit(session, **kwargs):
        invoice = issue(session, **kwargs)
        unit, number = next(wanted)
        if unit is not None:
            invoice.number, invoice.mobile_unit_id = number, unit.id
        return invoice

    monkeypatch.setattr(handover_module, "issue_invoice", issued_by_unit)
    return handed_over(app, session, shop, len(numbers))


def test_retiring_records_the_last_number_of_each_year(app, session, shop, monkeypatch):
    admin = actor(app, "admin")
    m1 = create_unit(session, admin, name="Camion Nord")
    m2 = create_unit(session, admin, name="Portable Sud")
    idle = create_unit(session, admin, name="Camion Centre")
    _unit_invoices(app, session, shop, monkeypatch, [
        (m1, "F-M1-2025-00007"), (m1, "F-M1-2026-00001"), (m2, "F-M2-2026-00005"), (None, None),
        (m1, "F-M1-2026-00002")])

    overview = {u.code: u for u in units_overview(session)}
    assert [s.last_number for s in overview["M1"].series] == ["F-M1-2025-00007", "F-M1-2026-00002"]
    assert [s.count for s in overview["M1"].series] == [1, 2] and overview["M1"].invoice_count == 3
    assert [s.last_number for s in overview["M2"].series] == ["F-M2-2026-00005"]
    assert overview["M3"].series == () and overview["M3"].invoice_count == 0

    retired = retire_unit(session, admin, m1.id, reason="  Portable volé  ", now=NOW)
    session.expire_all()
    unit = session.get(MobileUnit, m1.id)
    assert unit.active is False and unit.closed_series == {"2025": 7, "2026": 2}
    assert unit.retired_reason == "Portable volé" and unit.retired_by_id == admin.id
    assert unit.retired_at.replace(tzinfo=timezone.utc) == NOW and retired.id == m1.id
    assert retire_unit(session, admin, idle.id, reason="Jamais servi").closed_series == {}

    shown = unit_overview(session, m1.id)
    assert shown.state == UnitState.RETIRED and shown.retired_by == "Admin Test"
    assert shown.closed_numbers == ("F-M1-2025-00007", "F-M1-2026-00002")
    # Active units first, then the retired ones, each in the order created.
    assert [u.code for u in units_overview(session)] == ["M2", "M1", "M3"]
    with pytest.raises(Conflict) as again:
        retire_unit(session, admin, m1.id, reason="encore")
    assert again.value.message == "L'unité M1 est déjà retirée depuis le 09/12/2026."


def test_a_reason_is_required_to_retire(app, session):
    admin = actor(app, "admin")
    unit = create_unit(session, admin, name="Camion Nord")
    for reason, message in [("", "Motif du retrait : obligatoire (par exemple « ordinateur portable remplacé »)."),
                            ("  ", "Motif du retrait : obligatoire (par exemple « ordinateur portable remplacé »)."),
                            (None, "Motif du retrait : obligatoire (par exemple « ordinateur portable remplacé »)."),
                            (["vol"], "Motif du retrait : texte attendu."),
                            ("x" * 2001, "Motif du retrait : 2000 caractères au plus (2001 saisis).")]:
        with pytest.raises(ValidationFailed) as refused:
            retire_unit(session, admin, unit.id, reason=reason)
        assert refused.value.errors == {"reason": [message]}
    session.expire_all()
    assert session.get(MobileUnit, unit.id).active is True
    with pytest.raises(NotFound, match="Unité mobile introuvable."):
        retire_unit(session, admin, 999999, reason="vol")


def _tour(app, session, unit: MobileUnit, status: str = "out") -> MobileTour:
    """A tour row as the download (step 6) will write it: only what the table requires."""
    holder = app.appbuilder.sm.find_user("technicien")
    tour = MobileTour(reference="TRN-2026-0041", mobile_unit_id=unit.id, holder_id=holder.id,
                      device_key=str(uuid.uuid4()), tour_date=date(2026, 12, 9), status=status,
                      downloaded_at=NOW - timedelta(hours=10), valid_until=NOW + timedelta(hours=14),
                      snapshot={}, snapshot_sha256="0" * 64)
    session.add(tour)
    session.commit()
    return tour


def test_a_unit_out_on_a_tour_cannot_be_retired(app, session):
    admin = actor(app, "admin")
    unit = create_unit(session, admin, name="Camion Nord")
    tour = _tour(app, session, unit)
    shown = unit_overview(session, unit.id)
    assert shown.state == UnitState.OUT and shown.state_label == "En tournée"
    assert (shown.tour.reference, shown.tour.holder, shown.tour.tour_date) == (
        "TRN-2026-0041", "Technicien Test", date(2026, 12, 9))
    with pytest.raises(Conflict) as refused:
        retire_unit(session, admin, unit.id, reason="Remplacé")
    assert refused.value.message == (
        "La série F-M1 est sortie avec la tournée TRN-2026-0041 du 09/12/2026 (Technicien Test) : attendez son "
        "retour et l'envoi de ses enregistrements, ou déclarez l'appareil perdu, avant de retirer l'unité.")
    session.expire_all()
    assert session.get(MobileUnit, unit.id).active is True
    # Once the tour is back, the unit may be retired.
    session.get(MobileTour, tour.id).status = "closed"
    session.commit()
    assert unit_overview(session, unit.id).state == UnitState.ACTIVE
    assert retire_unit(session, admin, unit.id, reason="Remplacé").active is False
