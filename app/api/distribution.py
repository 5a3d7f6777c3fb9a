"""Handover API: reservations and the handover, invoices and credit notes, workshop sessions,
bookings and attendance. Thin: parse, call one service, answer JSON (or a PDF / .ics)."""
from __future__ import annotations

from flask import Response, current_app, request
from flask_appbuilder.api import expose
from flask_appbuilder.security.decorators import permission_name, protect
from sqlalchemy import select

from app.api.base import ID, JsonApi, domain_endpoint
from app.extensions import db
from core.clock import to_local
from core.errors import Forbidden, ValidationFailed
from distribution.access import bookable_household, is_stock_manager, require_stock_manager
from distribution.documents.attendance_pdf import render_attendance_sheet
from distribution.documents.handover_sheet_pdf import render_handover_sheet
from distribution.documents.ics import booking_ics
from distribution.documents.invoice_pdf import render_credit_note, render_invoice
from distribution.models import CreditNote
from distribution.representations import (
    booking_json,
    invoice_json,
    reservation_json,
    session_json,
    attendance_document,
    credit_note_document,
    handover_sheet_document,
    ics_document,
    invoice_document,
)
from core.schemas import load
from distribution.schemas import (
    AttendanceIn,
    BookingIn,
    CreditNoteIn,
    HandoverIn,
    ReservationIn,
    WorkshopCancelIn,
    WorkshopIn,
    parse_moment,
)
from distribution.services.handover import handover
from distribution.services.invoicing import invoice_by_number, issue_credit_note
from distribution.services.reservations import release, reservation_by_id, reserve
from distribution.services.workshops import (
    book,
    booking_by_id,
    cancel,
    cancel_session,
    create_session,
    free_seats,
    record_attendance,
    restore_session,
    upcoming,
    visible_session,
    waitlist_position,
)
from distribution.settings import settings_from
from core.actor import actor_of


def _actor(api: JsonApi):
    return actor_of(api.current_user())


def pdf(content: bytes, name: str) -> Response:
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})


class ReservationApi(JsonApi):
    resource_name = "reservations"
    class_permission_name = "Reservations"
    openapi_spec_tag = "Remise"
    openapi_spec_component_schemas = (ReservationIn, HandoverIn)

    @expose("", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def post(self):
        """Reserve a device for a validated request.
        ---
        post:
          summary: Réserver un appareil en stock pour une demande validée (14 jours)
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/ReservationIn'}
          responses:
            201: {description: la réservation}
            409: {description: "appareil pas en stock, demande non validée, ou demande ayant déjà un appareil"}
            422: {description: données invalides}
        """
        data = load(ReservationIn(), self.json_body())
        hold = current_app.config["RESERVATION_HOLD_DAYS"]
        reservation = reserve(db.session, _actor(self), data["request_id"], data["asset_tag"], hold_days=hold)
        return self.answer(201, reservation_json(reservation))

    @expose(f"/<{ID}:reservation_id>", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def get(self, reservation_id):
        """One reservation.
        ---
        get:
          summary: Une réservation
          parameters:
            - {in: path, name: reservation_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: la réservation}
            404: {description: inconnue}
        """
        require_stock_manager(_actor(self))
        return self.answer(200, reservation_json(reservation_by_id(db.session, reservation_id)))

    @expose(f"/<{ID}:reservation_id>/release", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def release(self, reservation_id):
        """Cancel a reservation: the device goes back in stock.
        ---
        post:
          summary: Annuler une réservation (l'appareil revient en stock)
          parameters:
            - {in: path, name: reservation_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: la réservation libérée}
            409: {description: réservation déjà terminée}
        """
        body = self.json_body() if request.data else {}
        if body.get("reason") is not None and not isinstance(body["reason"], str):
            raise ValidationFailed({"reason": ["Motif (texte) attendu."]})
        reservation = release(db.session, _actor(self), reservation_id, reason=body.get("reason"))
        return self.answer(200, reservation_json(reservation))

    @expose(f"/<{ID}:reservation_id>/handover", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def handover(self, reservation_id):
        """Hand the device over: invoice, workshop booking, device distributed, household equipped.
        ---
        post:
          summary: Remise au foyer, tout ou rien (facture, atelier, appareil remis, foyer équipé)
          description: >
            Sans workshop_session_id, la première session proposée (même commune, puis même EPCI,
            puis ailleurs) ayant une place libre est réservée.
          parameters:
            - {in: path, name: reservation_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/HandoverIn'}
          responses:
            201: {description: "{invoice: {number, total_ttc, total_ht, vat, aide_solidaire, pdf_url}, booking}"}
            409: {description: "réservation terminée, aucun atelier disponible…"}
            422: {description: données invalides}
        """
        data = load(HandoverIn(), self.json_body())
        result = handover(db.session, _actor(self), reservation_id, settings_from(current_app.config), **data)
        invoice = result.invoice
        return self.answer(201, {
            "invoice": {"number": invoice.number, "total_ttc": f"{invoice.total_ttc:.2f}",
                        "total_ht": f"{invoice.total_ht:.2f}", "vat": f"{invoice.vat:.2f}",
                        "aide_solidaire": f"{invoice.aide_solidaire:.2f}",
                        "pdf_url": f"/api/v1/invoices/{invoice.number}.pdf"},
            "booking": booking_json(result.booking, waitlist_position(db.session, result.booking))})


class InvoiceApi(JsonApi):
    resource_name = "invoices"
    class_permission_name = "Invoices"
    openapi_spec_tag = "Remise"
    openapi_spec_component_schemas = (CreditNoteIn,)

    @expose("/<number>.pdf", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def get_pdf(self, number):
        """The invoice as a PDF.
        ---
        get:
          summary: La facture en PDF (A4, en français)
          parameters:
            - {in: path, name: number, required: true, schema: {type: string}}
          responses:
            200: {description: PDF}
            404: {description: inconnue}
        """
        require_stock_manager(_actor(self))
        invoice = invoice_by_number(db.session, number)
        return pdf(render_invoice(invoice_document(invoice, current_app.config.get("PROGRAMME_CONTACT"))),
                   invoice.number)

    @expose("/<number>/handover-sheet.pdf", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def handover_sheet(self, number):
        """The large-print handover sheet given to the household.
        ---
        get:
          summary: Fiche de remise en gros caractères pour le foyer (PDF)
          parameters:
            - {in: path, name: number, required: true, schema: {type: string}}
          responses:
            200: {description: PDF}
            404: {description: facture inconnue}
        """
        require_stock_manager(_actor(self))
        invoice = invoice_by_number(db.session, number)
        config = current_app.config
        document = handover_sheet_document(invoice, config["PROGRAMME_NAME"], config.get("PROGRAMME_CONTACT"))
        return pdf(render_handover_sheet(document), f"fiche-remise-{invoice.number}")

    @expose("/<number>", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def get(self, number):
        """One invoice.
        ---
        get:
          summary: Une facture (JSON)
          parameters:
            - {in: path, name: number, required: true, schema: {type: string}}
          responses:
            200: {description: la facture}
            404: {description: inconnue}
        """
        require_stock_manager(_actor(self))
        return self.answer(200, invoice_json(invoice_by_number(db.session, number)))

    @expose("/<number>/credit-note", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def credit_note(self, number):
        """Issue a credit note on an invoice.
        ---
        post:
          summary: Émettre un avoir (AV-AAAA-NNNNN) sur une facture ; return_device remet l'appareil en réparation
          parameters:
            - {in: path, name: number, required: true, schema: {type: string}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/CreditNoteIn'}
          responses:
            201: {description: "{number, invoice, total_ttc, pdf_url}"}
            409: {description: lignes déjà créditées}
            422: {description: données invalides}
        """
        data = load(CreditNoteIn(), self.json_body())
        note = issue_credit_note(db.session, _actor(self), number, reason=data["reason"], positions=data.get("lines"),
                                 return_device=data["return_device"])
        return self.answer(201, {"number": note.number, "invoice": note.invoice.number,
                                 "total_ttc": f"{note.total_ttc:.2f}", "device_returned": note.device_returned,
                                 "pdf_url": f"/api/v1/invoices/credit-notes/{note.number}.pdf"})

    @expose("/credit-notes/<number>.pdf", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def credit_note_pdf(self, number):
        """A credit note as a PDF.
        ---
        get:
          summary: Un avoir en PDF
          parameters:
            - {in: path, name: number, required: true, schema: {type: string}}
          responses:
            200: {description: PDF}
            404: {description: inconnu}
        """
        require_stock_manager(_actor(self))
        note = db.session.execute(select(CreditNote).where(CreditNote.number == number.strip().upper())).scalar_one_or_none()
        if note is None:
            return self.response(404, message=f"Avoir « {number} » introuvable.")
        return pdf(render_credit_note(credit_note_document(note)), note.number)


def session_state_json(workshop) -> dict:
    """A session with its cancellation (when, in UTC and Martinique time; by whom; why) and its
    bookings counted by status: the answer of cancelling and restoring it."""
    cancelled_at, by = workshop.cancelled_at, workshop.cancelled_by
    counts: dict[str, int] = {}
    for booking in workshop.bookings:
        counts[booking.status] = counts.get(booking.status, 0) + 1
    return {**session_json(workshop, None if cancelled_at else free_seats(db.session, workshop)),
            "cancelled": cancelled_at is not None,
            "cancelled_at": cancelled_at.isoformat() if cancelled_at else None,
            "cancelled_at_local": to_local(cancelled_at).isoformat() if cancelled_at else None,
            "cancelled_by": ((by.get_full_name() or "").strip() or by.username) if by else None,
            "cancel_reason": workshop.cancel_reason, "bookings": counts}


class WorkshopApi(JsonApi):
    resource_name = "workshops"
    class_permission_name = "Workshops"
    openapi_spec_tag = "Ateliers"
    openapi_spec_component_schemas = (WorkshopIn, BookingIn, WorkshopCancelIn)

    @expose("", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def post(self):
        """Schedule a workshop session.
        ---
        post:
          summary: Programmer un atelier de prise en main (heures sans décalage = heure de Martinique)
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/WorkshopIn'}
          responses:
            201: {description: "{id, …}"}
            403: {description: réservé à l'atelier et à l'administrateur}
            422: {description: données invalides}
        """
        require_stock_manager(_actor(self))   # refused before the body is read: 403, not 422
        data = load(WorkshopIn(), self.json_body())
        workshop = create_session(db.session, _actor(self), data)
        return self.answer(201, session_json(workshop, workshop.capacity))

    @expose("", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def list(self):
        """Upcoming sessions with free seats.
        ---
        get:
          summary: Ateliers à venir ayant des places libres (pour un animateur, les siens seulement)
          parameters:
            - {in: query, name: commune, schema: {type: string}, description: code INSEE}
            - {in: query, name: topic, schema: {type: string}}
            - {in: query, name: from, schema: {type: string}, description: AAAA-MM-JJ (heure de Martinique)}
          responses:
            200: {description: "{result: [{id, topic, starts_at, venue_name, commune, free_seats}], count}"}
        """
        start = parse_moment(request.args.get("from"))
        rows = upcoming(db.session, topic=request.args.get("topic") or None,
                        commune=request.args.get("commune") or None, start=start, actor=_actor(self))
        result = [session_json(w, free) for w, free in rows]
        return self.response(200, result=result, count=len(result))

    @expose(f"/<{ID}:session_id>/bookings", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def bookings(self, session_id):
        """Book a household on a session (waiting list when full).
        ---
        post:
          summary: Inscrire un foyer (liste d'attente si l'atelier est complet)
          parameters:
            - {in: path, name: session_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/BookingIn'}
          responses:
            201: {description: "{id, status, position}"}
            404: {description: atelier ou foyer inconnu (ou hors de votre périmètre)}
            409: {description: "déjà inscrit, atelier commencé"}
        """
        data = load(BookingIn(), self.json_body())
        booking = book(db.session, _actor(self), session_id, data["household_id"])
        return self.answer(201, booking_json(booking, waitlist_position(db.session, booking)))

    @expose(f"/<{ID}:session_id>/cancel", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def cancel(self, session_id):
        """Cancel a session: its bookings and waiting list are cancelled with it.
        ---
        post:
          summary: Annuler un atelier (ses inscriptions et sa liste d'attente sont annulées avec lui ; les présences notées restent)
          parameters:
            - {in: path, name: session_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/WorkshopCancelIn'}
          responses:
            200: {description: "l'atelier annulé : {id, …, cancelled, cancelled_at, cancelled_by, cancel_reason, bookings}"}
            400: {description: corps JSON absent ou mal formé}
            403: {description: réservé à l'atelier et à l'administrateur}
            404: {description: atelier inconnu}
            409: {description: atelier déjà annulé}
            422: {description: motif manquant ou trop long}
        """
        actor = _actor(self)
        require_stock_manager(actor)   # refused before the body is read: 403, not 400 or 422
        data = load(WorkshopCancelIn(), self.json_body())
        return self.answer(200, session_state_json(cancel_session(db.session, actor, session_id,
                                                                  reason=data["reason"])))

    @expose(f"/<{ID}:session_id>/restore", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def restore(self, session_id):
        """Restore a cancelled session (Admin): its bookings cancelled with it get their place back.
        ---
        post:
          summary: Rétablir un atelier annulé (administrateur) ; ses inscriptions annulées avec lui retrouvent une place, puis la liste d'attente
          parameters:
            - {in: path, name: session_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: "l'atelier rétabli : {id, …, cancelled: false, free_seats, bookings}"}
            403: {description: réservé à l'administrateur}
            404: {description: atelier inconnu}
            409: {description: atelier non annulé}
        """
        return self.answer(200, session_state_json(restore_session(db.session, _actor(self), session_id)))

    @expose(f"/<{ID}:session_id>/attendance-sheet.pdf", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def attendance_sheet(self, session_id):
        """The attendance sheet of a session.
        ---
        get:
          summary: Feuille d'émargement (PDF)
          parameters:
            - {in: path, name: session_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: PDF}
            404: {description: inconnu ou hors de votre périmètre}
        """
        workshop = visible_session(db.session, _actor(self), session_id)
        participants = [b for b in workshop.bookings if b.status in ("booked", "attended", "no_show")]
        document = attendance_document(workshop, participants, current_app.config["PROGRAMME_NAME"])
        return pdf(render_attendance_sheet(document), f"emargement-atelier-{workshop.id}")


class BookingApi(JsonApi):
    resource_name = "bookings"
    class_permission_name = "Bookings"
    openapi_spec_tag = "Ateliers"
    openapi_spec_component_schemas = (AttendanceIn,)

    @expose(f"/<{ID}:booking_id>", methods=["DELETE"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def delete(self, booking_id):
        """Cancel a booking; the first on the waiting list takes the seat.
        ---
        delete:
          summary: Annuler une inscription (le premier de la liste d'attente prend la place)
          parameters:
            - {in: path, name: booking_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: l'inscription annulée}
            404: {description: inconnue}
            409: {description: déjà annulée ou passée}
        """
        booking = cancel(db.session, _actor(self), booking_id)
        return self.answer(200, booking_json(booking, waitlist_position(db.session, booking)))

    @expose(f"/<{ID}:booking_id>/attendance", methods=["POST"])
    @protect()
    @permission_name("write")
    @domain_endpoint
    def attendance(self, booking_id):
        """Mark a participant present or absent, with a satisfaction score.
        ---
        post:
          summary: Noter la présence et la satisfaction (1 à 5) — animateur de l'atelier
          parameters:
            - {in: path, name: booking_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/AttendanceIn'}
          responses:
            200: {description: l'inscription}
            404: {description: inconnue ou hors de vos ateliers}
            409: {description: atelier pas encore commencé}
        """
        data = load(AttendanceIn(), self.json_body())
        booking = record_attendance(db.session, _actor(self), booking_id, attended=data["attended"],
                                    satisfaction=data.get("satisfaction"))
        return self.answer(200, {**booking_json(booking, waitlist_position(db.session, booking)), "satisfaction": booking.satisfaction})

    @expose(f"/<{ID}:booking_id>.ics", methods=["GET"])
    @protect()
    @permission_name("read")
    @domain_endpoint
    def ics(self, booking_id):
        """The booking as a calendar file.
        ---
        get:
          summary: L'inscription au format agenda (.ics)
          parameters:
            - {in: path, name: booking_id, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
          responses:
            200: {description: text/calendar}
            404: {description: inconnue}
        """
        actor = _actor(self)
        booking = booking_by_id(db.session, booking_id)
        if not is_stock_manager(actor):
            if not (actor.is_agent or actor.is_prescripteur):
                raise Forbidden("Votre rôle ne permet pas cette action.")
            bookable_household(db.session, actor, booking.household_id)
        content = booking_ics({**ics_document(booking, current_app.config["PROGRAMME_NAME"],
                                              current_app.config.get("PROGRAMME_CONTACT")),
                               "cancelled": booking.session.cancelled_at is not None})
        return Response(content, mimetype="text/calendar", headers={
            "Content-Disposition": f'attachment; filename="atelier-{booking.id}.ics"'})
