"""The handover pages: the waiting list and its matching devices, reservations and the handover
form, invoices and credit notes, workshop sessions (and their creation form) and attendance. Thin:
parse the form, call one service (``distribution.services``), flash its outcome, render.

UI strings are English msgids translated by the app's catalog (French by default); messages from
the domain services (``DomainError.message``) are already French and shown as they are."""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.views.errors import domain_errors
from app.views.forms import integer, text
from core.clock import local_today, to_local, utcnow
from core.paging import page_number
from core.errors import Forbidden, NotFound, ValidationFailed
from core.territory import Commune
from core.actor import ANIMATEUR
from distribution.access import is_animateur, is_stock_manager, require_stock_manager
from distribution.models import Reservation
from core.schemas import load
from distribution.schemas import HandoverIn, WorkshopIn
from distribution.services.grids import grid_in_effect
from distribution.services.handover import handover
from distribution.queries import (
    booking_rows,
    invoice_page,
    reservation_page,
    seats_taken,
    session_page,
    waiting_entry,
    waiting_page,
)
from distribution.services.invoicing import invoice_by_number, issue_credit_note
from distribution.services.reservations import matching_devices, release, reservation_by_id, reserve
from distribution.services.workshops import (
    book,
    booking_desk,
    books_households,
    cancel,
    cancel_session,
    cancelled_with_session,
    create_session,
    households_bookings,
    participants,
    propose_sessions,
    record_attendance,
    restore_session,
    sessions_of,
    visible_session,
    waitlist_position,
)
from distribution.settings import settings_from
from distribution.vocabulary import (
    VAT_MENTIONS,
    BookingGroup,
    BookingStatus,
    InternetAccess,
    PaymentMethod,
    ReservationStatus,
    VenueKind,
    WorkshopTopic,
    topic_for_category,
)
from core.actor import actor_of


def _actor():
    return actor_of(g.user)


def _stock_manager():
    """The actor, or 403 when their role does not manage the handover."""
    actor = _actor()
    try:
        require_stock_manager(actor)
    except Forbidden:
        abort(403)
    return actor


def _by_field(errors: dict) -> dict:
    """Errors on nested input (``payments.0.amount``) shown beside their form field."""
    return {key.split(".")[0]: messages for key, messages in errors.items()}


def _reservation_page(view, pk: int) -> str:
    return url_for("ReservationView.show", pk=pk)


def _invoice_page(view, number: str) -> str:
    return url_for("InvoiceView.show", number=number)


def _workshop_page(view, pk: int, **_ignored) -> str:
    return url_for("WorkshopView.show", pk=pk)


def _household_name(household) -> str:
    return " ".join(n for n in (household.first_name, household.last_name) if n) or household.reference


class WaitingListView(BaseView):
    route_base = "/distribution/waiting-list"
    class_permission_name = "Waiting list"
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("read")
    def list(self):
        _stock_manager()
        page = waiting_page(db.session, current_app.config["PRIORITY_WEIGHTS"], local_today(),
                            number=page_number(request.args.get("page")))
        return self.render_template("distribution/waiting_list.html", title=_("Waiting list"), page=page,
                                    rows=page.rows)

    @expose("/<int:pk>")
    @has_access
    @permission_name("read")
    def show(self, pk: int):
        _stock_manager()
        waiting = waiting_entry(db.session, current_app.config["PRIORITY_WEIGHTS"], local_today(), pk)
        if waiting is None:
            abort(404)
        return self.render_template("distribution/waiting_show.html", title=_("Waiting request"), w=waiting,
                                    matches=matching_devices(db.session, waiting.request))

    @expose("/<int:pk>/reserve", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=lambda view, pk: url_for("WaitingListView.show", pk=pk))
    def reserve(self, pk: int):
        actor = _stock_manager()
        reservation = reserve(db.session, actor, pk, request.form.get("asset_tag", ""),
                              hold_days=current_app.config["RESERVATION_HOLD_DAYS"])
        flash(_("Device %(tag)s reserved until %(day)s.", tag=reservation.device.asset_tag,
                day=f"{to_local(reservation.expires_at):%d/%m/%Y}"), "success")
        return redirect(url_for("ReservationView.show", pk=reservation.id))


def handover_input_from_form(form) -> dict:
    """The handover form, in the API's shape (the same schema checks both)."""
    data = {"payment_method": text(form, "payment_method"), "accessories": form.getlist("accessories"),
            "workshop_session_id": integer(form, "workshop_session_id"),
            "internet_access": text(form, "internet_access"),
            "internet_offer_referred": form.get("internet_offer_referred") == "1"}
    return {k: v for k, v in data.items() if v is not None}


class ReservationView(BaseView):
    route_base = "/distribution/reservations"
    class_permission_name = "Reservations"
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("read")
    def list(self):
        _stock_manager()
        page = reservation_page(db.session, number=page_number(request.args.get("page")))
        return self.render_template("distribution/reservations.html", title=_("Reservations"), page=page,
                                    rows=page.rows)

    def _render(self, reservation, values: dict, errors: dict):
        item = reservation.request
        grid = grid_in_effect(db.session, local_today())
        proposals = []
        if reservation.status == ReservationStatus.ACTIVE.value:
            proposals = propose_sessions(db.session, item.household, topic_for_category(reservation.device.category),
                                         limit=12)
        if "workshop_session_id" not in values:
            first = next((p for p in proposals if p.free_seats > 0), None)
            values = {**values, "workshop_session_id": str(first.session.id) if first else ""}
        return self.render_template(
            "distribution/reservation_show.html", title=_("Reservation"), reservation=reservation, item=item,
            values=values, errors=errors, accessories=list(grid.accessories.values()), proposals=proposals,
            payment_methods=PaymentMethod.choices(), internet_choices=InternetAccess.choices())

    @expose("/<int:pk>")
    @has_access
    @permission_name("read")
    @domain_errors(abort_on=(NotFound,))
    def show(self, pk: int):
        _stock_manager()
        return self._render(reservation_by_id(db.session, pk), {}, {})

    def _handover_refused(self, exc: ValidationFailed, pk: int):
        reservation = db.session.get(Reservation, pk)
        if reservation is None:
            abort(404)
        values = {**request.form.to_dict(flat=True), "accessories": request.form.getlist("accessories")}
        return self._render(reservation, values, _by_field(exc.errors))

    @expose("/<int:pk>/handover", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(render="_handover_refused", render_on=(ValidationFailed,), abort_on=(NotFound,),
                   render_flash=_l("The handover was not recorded: correct the fields marked."),
                   redirect_to=_reservation_page)
    def post_handover(self, pk: int):
        actor = _stock_manager()
        data = load(HandoverIn(), handover_input_from_form(request.form))
        result = handover(db.session, actor, pk, settings_from(current_app.config), **data)
        flash(_("Device handed over: invoice %(number)s issued.", number=result.invoice.number), "success")
        if result.position is not None:
            flash(_("The workshop is full: the household is on the waiting list (position %(position)s).",
                    position=result.position), "warning")
        return redirect(url_for("InvoiceView.show", number=result.invoice.number))

    @expose("/<int:pk>/release", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(abort_on=(NotFound,), redirect_to=_reservation_page)
    def post_release(self, pk: int):
        actor = _stock_manager()
        reservation = release(db.session, actor, pk, reason=text(request.form, "reason"))
        flash(_("Reservation released: device %(tag)s is back in stock.", tag=reservation.device.asset_tag),
              "success")
        return redirect(url_for("ReservationView.list"))


class InvoiceView(BaseView):
    route_base = "/distribution/invoices"
    class_permission_name = "Invoices"
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("read")
    def list(self):
        _stock_manager()
        page = invoice_page(db.session, number=page_number(request.args.get("page")))
        return self.render_template("distribution/invoices.html", title=_("Invoices"), page=page, rows=page.rows)

    def _render(self, number: str, values: dict, errors: dict):
        try:
            invoice = invoice_by_number(db.session, number)
        except NotFound:
            abort(404)
        return self.render_template("distribution/invoice_show.html",
                                    title=_("Invoice %(number)s", number=invoice.number), invoice=invoice, values=values, errors=errors,
                                    vat_mention=VAT_MENTIONS.get(invoice.vat_regime),
                                    payment_label=PaymentMethod.label_of)

    @expose("/<number>")
    @has_access
    @permission_name("read")
    def show(self, number: str):
        _stock_manager()
        return self._render(number, {}, {})

    def _credit_note_refused(self, exc: ValidationFailed, number: str):
        return self._render(number, request.form.to_dict(flat=True), _by_field(exc.errors))

    @expose("/<number>/credit-note", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(render="_credit_note_refused", render_on=(ValidationFailed,), render_flash=False,
                   abort_on=(NotFound,), redirect_to=_invoice_page)
    def credit_note(self, number: str):
        actor = _stock_manager()
        note = issue_credit_note(db.session, actor, number, reason=request.form.get("reason", ""),
                                 return_device=request.form.get("return_device") == "1")
        flash(_("Credit note %(note)s issued on invoice %(invoice)s.", note=note.number,
                invoice=note.invoice.number), "success")
        return redirect(url_for("InvoiceView.show", number=note.invoice.number))


def workshop_input_from_form(form) -> dict:
    """The session form, in the API's shape (``WorkshopIn``): the date and the two times become
    ISO date-times without an offset, which the schema reads as Martinique time."""
    day, start, end = text(form, "date"), text(form, "start_time"), text(form, "end_time")
    data = {
        "topic": text(form, "topic"), "commune_insee": text(form, "commune_insee"),
        "starts_at": f"{day}T{start}" if day and start else None,
        "ends_at": f"{day}T{end}" if day and end else None,
        "venue_kind": text(form, "venue_kind"), "venue_name": text(form, "venue_name"),
        "address": text(form, "address"), "capacity": integer(form, "capacity"),
        "facilitator": text(form, "facilitator"), "notes": text(form, "notes"),
    }
    return {k: v for k, v in data.items() if v is not None}


def _iso_day(value: str | None) -> bool:
    try:
        date.fromisoformat(value or "")
    except ValueError:
        return False
    return True


def workshop_form_errors(errors: dict, form) -> dict:
    """The schema's and the service's errors, next to the form field they concern: the start and
    end moments go to their time fields; a missing or wrong date is said once, on the date."""
    day_ok = _iso_day(text(form, "date"))
    moved: dict[str, list[str]] = {}
    if not day_ok:
        moved["date"] = [_("Give the date of the workshop.")]
    for key, messages in errors.items():
        name = key.split(".")[0]
        if name in ("starts_at", "ends_at"):
            field = "start_time" if name == "starts_at" else "end_time"
            if not day_ok and text(form, field):
                continue            # the date is what is wrong
            name = field
        beside = moved.setdefault(name, [])
        beside.extend(m for m in messages if m not in beside)
    return moved


def _topic_choices() -> list[tuple[str, str]]:
    return [(value, label[:1].upper() + label[1:]) for value, label in WorkshopTopic.choices()]


def _commune_choices() -> list[tuple[str, str]]:
    communes = db.session.execute(select(Commune).order_by(Commune.name)).scalars()
    return [(c.insee_code, f"{c.name} ({c.insee_code})") for c in communes]


def _facilitator_choices() -> list[tuple[str, str]]:
    """Active accounts with the Animateur role, by name; the value is the user name."""
    users = db.session.execute(
        select(User).join(User.roles).where(Role.name == ANIMATEUR, User.active.is_(True))
        .order_by(User.last_name, User.first_name, User.username)).scalars().unique()
    return [(u.username, u.get_full_name().strip() or u.username) for u in users]


class WorkshopView(BaseView):
    route_base = "/distribution/workshops"
    class_permission_name = "Workshops"
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("read")
    @domain_errors(abort_on=(Forbidden,))
    def list(self):
        """Every session for the workshop (Admin, Technicien), the upcoming ones with their free
        seats for those who book households, with the bookings of their households; an
        Animateur's own sessions."""
        actor = _actor()
        now = utcnow()
        stmt = sessions_of(db.session, actor, now=now)
        show_past = is_stock_manager(actor) or is_animateur(actor)
        upcoming = session_page(db.session, stmt, upcoming=True, now=now,
                                number=page_number(request.args.get("upcoming")))
        past = (session_page(db.session, stmt, upcoming=False, now=now, number=page_number(request.args.get("page")))
                if show_past else None)
        seats = seats_taken(db.session, [w.id for w in upcoming.rows + (past.rows if past else [])])
        booker_only = books_households(actor) and not is_stock_manager(actor)
        return self.render_template("distribution/workshops.html", title=_("Workshops"), seats=seats,
                                    may_create=is_stock_manager(actor), may_book=books_households(actor),
                                    upcoming=upcoming, past=past, show_past=show_past,
                                    mine=booking_rows(db.session, households_bookings(actor, upcoming_only=True, now=now))
                                    if booker_only else None)

    def _render_form(self, values: dict, errors: dict):
        return self.render_template(
            "distribution/workshop_add.html", title=_("Schedule a workshop"), values=values, errors=errors,
            topics=_topic_choices(), communes=_commune_choices(), venue_kinds=VenueKind.choices(),
            facilitators=_facilitator_choices())

    def _add_refused(self, exc: ValidationFailed):
        form = request.form
        return self._render_form(form.to_dict(flat=True), workshop_form_errors(exc.errors, form))

    @expose("/new", methods=["GET", "POST"])
    @has_access
    @permission_name("write")
    @domain_errors(render="_add_refused", render_on=(ValidationFailed,), abort_on=(Forbidden,),
                   render_flash=_l("The workshop was not scheduled: correct the fields marked."))
    def add(self):
        """Schedule a session (Admin, Technicien): the form, then ``create_session``."""
        actor = _stock_manager()
        if request.method == "GET":
            return self._render_form({"capacity": "8"}, {})
        # A missing or wrong date leaves no valid start: the schema refuses it too.
        data = load(WorkshopIn(), workshop_input_from_form(request.form))
        workshop = create_session(db.session, actor, data)
        flash(_("Workshop scheduled: %(topic)s on %(day)s from %(start)s to %(end)s, %(commune)s.",
                topic=workshop.topic_label, day=f"{to_local(workshop.starts_at):%d/%m/%Y}",
                start=f"{to_local(workshop.starts_at):%H:%M}", end=f"{to_local(workshop.ends_at):%H:%M}",
                commune=workshop.commune.name), "success")
        return redirect(url_for("WorkshopView.show", pk=workshop.id))

    def _workshop(self, pk):
        actor = _actor()
        try:
            return actor, visible_session(db.session, actor, pk)
        except NotFound:
            abort(404)
        except Forbidden:
            abort(403)

    @expose("/<int:pk>")
    @has_access
    @permission_name("read")
    @domain_errors(abort_on=(NotFound, Forbidden))
    def show(self, pk: int):
        """The session: for the workshop and its facilitator, every participant (and attendance);
        for those who book households, the bookings of their households and the form to book
        one (Admin has both). A cancelled session says when, by whom and why; stock managers
        may cancel a session, Admin restore it."""
        return self._show(pk)

    def _show(self, pk: int, *, errors: dict | None = None, values: dict | None = None):
        actor = _actor()
        desk = booking_desk(db.session, actor, pk) if books_households(actor) else None
        if desk is not None and not is_stock_manager(actor):
            return self.render_template("distribution/workshop_show.html", title=_("Workshop"),
                                        workshop=desk.workshop, desk=desk, participants=None, live=BookingGroup.LIVE,
                                        seats=desk.workshop.capacity - desk.free_seats, errors={}, values={})
        actor, workshop = self._workshop(pk)
        may_record = (actor.is_admin or (is_animateur(actor) and workshop.facilitator_id == actor.id))
        started = workshop.starts_at <= utcnow()
        cancelled = workshop.cancelled_at is not None
        return self.render_template("distribution/workshop_show.html", title=_("Workshop"), workshop=workshop,
                                    participants=participants(db.session, workshop), seated=BookingGroup.SEATED,
                                    desk=desk, may_cancel=is_stock_manager(actor) and not started, live=BookingGroup.LIVE,
                                    attendance_open=may_record and started and not cancelled, may_record=may_record,
                                    may_cancel_session=is_stock_manager(actor) and not cancelled,
                                    may_restore_session=actor.is_admin and cancelled,
                                    errors=errors or {}, values=values or {},
                                    seats=sum(1 for b in workshop.bookings if b.status in BookingGroup.SEATED))

    def _cancel_session_refused(self, exc: ValidationFailed, pk: int):
        return self._show(pk, errors=_by_field(exc.errors), values=request.form.to_dict(flat=True))

    @expose("/<int:pk>/cancel", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(render="_cancel_session_refused", render_on=(ValidationFailed,), abort_on=(NotFound, Forbidden),
                   render_flash=_l("The workshop was not cancelled: correct the fields marked."),
                   redirect_to=_workshop_page)
    def cancel_workshop(self, pk: int):
        """Cancel the session (Admin, Technicien) with a reason, once the box is ticked
        (``cancel_session``): its live bookings are cancelled with it."""
        actor = _stock_manager()
        if request.form.get("confirm") != "1":
            raise ValidationFailed({"confirm": [_("Tick the box to confirm the cancellation.")]})
        workshop = cancel_session(db.session, actor, pk, reason=request.form.get("reason", ""))
        count = sum(1 for b in workshop.bookings if cancelled_with_session(b, workshop))
        flash(_("Workshop of %(day)s cancelled; bookings cancelled with it: %(count)s. Tell the households.",
                day=f"{to_local(workshop.starts_at):%d/%m/%Y}", count=count), "success")
        return redirect(_workshop_page(self, pk))

    @expose("/<int:pk>/restore", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(abort_on=(NotFound, Forbidden), redirect_to=_workshop_page)
    def restore_workshop(self, pk: int):
        """Restore a cancelled session (Admin), once the box is ticked (``restore_session``): the
        bookings cancelled with it get their place back."""
        actor = _actor()
        if not actor.is_admin:
            abort(403)
        if request.form.get("confirm") != "1":
            flash(_("Tick the box to confirm the restoring of the workshop."), "danger")
            return redirect(_workshop_page(self, pk))
        workshop = restore_session(db.session, actor, pk)
        statuses = [b.status for b in workshop.bookings]
        flash(_("Workshop of %(day)s restored: %(booked)s booked, %(waiting)s on the waiting list.",
                day=f"{to_local(workshop.starts_at):%d/%m/%Y}", booked=statuses.count(BookingStatus.BOOKED.value),
                waiting=statuses.count(BookingStatus.WAITLISTED.value)), "success")
        return redirect(_workshop_page(self, pk))

    @expose("/<int:pk>/bookings", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(abort_on=(NotFound, Forbidden), redirect_to=_workshop_page)
    def post_booking(self, pk: int):
        """Book one of the households the user may see (``book``): a seat, or the waiting list
        when the session is full. A household they may not see is not found (404)."""
        booking = book(db.session, _actor(), pk, request.form.get("household_id", ""))
        name = _household_name(booking.household)
        if booking.status == BookingStatus.WAITLISTED.value:
            flash(_("The workshop is full: %(name)s is on the waiting list (position %(position)s).",
                    name=name, position=waitlist_position(db.session, booking)), "warning")
        else:
            flash(_("%(name)s is booked on the workshop.", name=name), "success")
        return redirect(_workshop_page(self, pk))

    @expose("/<int:pk>/bookings/<int:booking_id>/cancel", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(abort_on=(NotFound, Forbidden), redirect_to=_workshop_page)
    def cancel_booking(self, pk: int, booking_id: int):
        """Cancel a booking of a household the user may see (``cancel``); the first waiting takes
        the seat it held."""
        booking = cancel(db.session, _actor(), booking_id, session_id=pk)
        flash(_("Booking of %(name)s cancelled.", name=_household_name(booking.household)), "success")
        return redirect(_workshop_page(self, pk))

    @expose("/<int:pk>/attendance/<int:booking_id>", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(abort_on=(NotFound,), redirect_to=_workshop_page)
    def attendance(self, pk: int, booking_id: int):
        actor, workshop = self._workshop(pk)
        if booking_id not in {b.id for b in workshop.bookings}:
            abort(404)
        presence = request.form.get("attended")
        score = request.form.get("satisfaction", "")
        if presence not in ("1", "0"):
            raise ValidationFailed({"attended": [_("Say present or absent.")]})
        booking = record_attendance(db.session, actor, booking_id, attended=presence == "1",
                                    satisfaction=int(score) if score.isdigit() and presence == "1" else None)
        name = _household_name(booking.household)
        flash(_("%(name)s: %(status)s.", name=name, status=booking.status_label.lower()), "success")
        return redirect(_workshop_page(self, pk))
