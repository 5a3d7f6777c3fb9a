"""``app.views.errors.domain_errors``, the pages' answer to a domain error: through the test client
on real pages (a form re-rendered, an action redirected, an object out of reach), and on a bare
view method for the session's rollback and each of its choices."""
from __future__ import annotations

from html import unescape

import pytest
from flask import get_flashed_messages
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden as ForbiddenPage
from werkzeug.exceptions import NotFound as NotFoundPage

from app.extensions import db
from app.views.errors import domain_errors, status_of
from core.errors import Conflict, DomainError, Forbidden, NotFound, TransitionRefused, ValidationFailed
from core.organisations import Organisation
from inventory.models import Location
from tests.helpers import login, make_device, make_workshop


@pytest.fixture
def shop(session):
    return make_workshop(session)


def text_of(answer) -> str:
    return unescape(answer.get_data(as_text=True))


def flashes(client) -> list:
    with client.session_transaction() as cookie:
        return list(cookie.get("_flashes", []))


def test_a_refused_form_comes_back_with_its_values_errors_and_message(client, session, shop):
    token = login(client, "technicien")
    answer = client.post("/locations/add", data={"csrf_token": token, "site": shop["site"].id, "label": "A 01!",
                                                 "name": "Bac du fond", "kind": "bin"})
    assert answer.status_code == 422
    page = text_of(answer)
    message = "Repère de 1 à 20 lettres, chiffres ou tirets attendu (par exemple A01)."
    assert page.count(message) == 2                          # flashed, and the same beside the field
    assert "label :" not in page                             # the field's key is never shown
    assert 'value="Bac du fond"' in page and 'value="A 01!"' in page
    session.expire_all()
    assert session.execute(select(func.count()).select_from(Location)).scalar_one() == 2   # the shop's two


def test_a_refused_action_is_flashed_and_goes_back_to_its_page(client, session, shop):
    device = make_device(session, shop["collection"].id)
    token = login(client, "technicien")
    answer = client.post(f"/devices/{device.id}/move", data={"csrf_token": token, "location": "LOC-LAM-Z99"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/devices/show/{device.id}")
    assert flashes(client) == [("danger", "Emplacement « LOC-LAM-Z99 » inconnu (code LOC-… attendu).")]


def test_a_refused_grading_goes_back_to_the_page_it_came_from(client, session, shop):
    device = make_device(session, shop["collection"].id)
    token = login(client, "technicien")
    answer = client.post(f"/devices/{device.id}/grade", data={"csrf_token": token, "cosmetic": "A",
                                                              "next": "/scan/"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/scan/")
    [(category, _message)] = flashes(client)
    assert category == "danger"


def test_an_object_out_of_reach_is_not_found_without_a_message(client, session):
    token = login(client, "prescripteur")
    assert client.get("/households/999999").status_code == 404
    answer = client.post("/households/999999/request", data={"csrf_token": token, "category": "laptop"})
    assert answer.status_code == 404
    assert flashes(client) == []


# --- the decorator on a bare view --------------------------------------------------------------

class Page:
    """A stand-in for a view whose methods, decorated as the real ones are, raise ``error``."""

    def __init__(self, error: DomainError) -> None:
        self.error = error

    def again(self, exc: DomainError, pk: int) -> str:
        return f"form {pk} {sorted(getattr(exc, 'errors', {}))}"

    @domain_errors(redirect_to=lambda view, pk: f"/things/{pk}")
    def act(self, pk: int):
        db.session.add(Organisation(kind="donor", name="Écrite à moitié"))
        db.session.flush()
        raise self.error

    @domain_errors(render="again", render_on=(ValidationFailed, Conflict), abort_on=(NotFound, Forbidden),
                   redirect_to=lambda view, pk: f"/things/{pk}")
    def form(self, pk: int):
        raise self.error

    @domain_errors(render="again", render_flash="Rien n'est enregistré : corrigez les champs signalés.")
    def summarised(self, pk: int):
        raise self.error

    @domain_errors(render="again", render_flash=False, status=422)
    def silent(self, pk: int):
        raise self.error

    @domain_errors(abort_on=(Forbidden,))
    def guarded(self, pk: int):
        raise self.error


def test_the_session_is_rolled_back_then_the_message_flashed_and_redirected(app, session):
    with app.test_request_context("/things/7", method="POST"):
        answer = Page(Conflict("Déjà fait.")).act(pk=7)
        assert (answer.status_code, answer.location) == (302, "/things/7")
        assert get_flashed_messages(with_categories=True) == [("danger", "Déjà fait.")]
        assert not db.session.new
        assert db.session.execute(select(func.count()).select_from(Organisation)).scalar_one() == 0


def test_the_page_is_rendered_again_with_the_status_of_the_error(app, session):
    with app.test_request_context("/things/7", method="POST"):
        refused = ValidationFailed({"name": ["Nom obligatoire."]})
        assert Page(refused).form(pk=7) == ("form 7 ['name']", 422)
        assert Page(Conflict("Doublon.")).form(pk=7) == ("form 7 []", 409)
        assert get_flashed_messages(with_categories=True) == [("danger", "Nom obligatoire."),
                                                              ("danger", "Doublon.")]


def test_kinds_not_rendered_are_redirected_or_answered_with_their_error_page(app, session):
    with app.test_request_context("/things/7", method="POST"):
        answer = Page(DomainError("Autre refus.")).form(pk=7)
        assert (answer.status_code, answer.location) == (302, "/things/7")
        with pytest.raises(NotFoundPage):
            Page(NotFound("Introuvable.")).form(pk=7)
        with pytest.raises(ForbiddenPage):
            Page(Forbidden("Pas vous.")).form(pk=7)
        assert get_flashed_messages(with_categories=True) == [("danger", "Autre refus.")]


def test_what_is_flashed_before_the_page_can_be_a_summary_or_nothing(app, session):
    refused = ValidationFailed({"name": ["Nom obligatoire."]})
    with app.test_request_context("/things/7", method="POST"):
        assert Page(refused).summarised(pk=7) == ("form 7 ['name']", 422)
        assert Page(Conflict("Doublon.")).silent(pk=7) == ("form 7 []", 422)   # the status pinned
        assert get_flashed_messages(with_categories=True) == [
            ("danger", "Rien n'est enregistré : corrigez les champs signalés.")]


def test_an_error_nothing_answers_is_raised_again(app, session):
    with app.test_request_context("/things/7", method="POST"):
        with pytest.raises(Conflict):
            Page(Conflict("Doublon.")).guarded(pk=7)
        with pytest.raises(ForbiddenPage):
            Page(Forbidden("Pas vous.")).guarded(pk=7)


def test_status_of_each_kind():
    assert [status_of(e) for e in (ValidationFailed("x"), NotFound("x"), Forbidden("x"), Conflict("x"),
                                   TransitionRefused("x", allowed=[]), DomainError("x"))] == [422, 404, 403, 409, 409, 422]


def test_a_report_refused_is_a_plain_text_answer(client, session):
    login(client, "admin")
    answer = client.get("/dashboard/impact.pdf?period=2026-S3")
    assert (answer.status_code, answer.mimetype) == (422, "text/plain")
    assert answer.get_data(as_text=True) == (
        "Semestre attendu sous la forme AAAA-S1 ou AAAA-S2 (par exemple 2026-S2).")
    assert flashes(client) == []
