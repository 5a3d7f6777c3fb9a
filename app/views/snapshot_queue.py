"""« Instantanés en attente » (Technicien, Admin): the hardware snapshots a technician settles by
hand. A queued snapshot is registered in a collection (its label printed on the reception print
station when one is set, as for a post; then its device's sheet opens) or dismissed; a disk set aside is added to its device with the serial number of its label, or
dismissed. The rules are in ``inventory.services.snapshot_queue``."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.label_printing import label_at_reception
from app.views.errors import domain_errors, field_errors
from app.views.listing import LOOKUPS, suggestions
from app.views.forms import text
from core.actor import actor_of
from core.errors import ValidationFailed
from core.paging import page_number
from core.vocabulary import Category
from inventory import queries
from inventory.models import Collection
from inventory.services.snapshot_queue import (
    add_set_aside_disk, dismiss_queued_snapshot, dismiss_set_aside_disk, pending_disk_page, register_queued_snapshot,
    review_queue_page,
)
from inventory.services.snapshots import COMPLETED, REGISTERED
from inventory.vocabulary import MediumKind

ID = "int(min=1, max=2147483647)"
TITLE = _l("Snapshots waiting")


def _queue(view, *args, **kwargs) -> str:
    return url_for("SnapshotQueueView.queue")


def _given(name: str) -> str | None:
    """A field the technician may change: None when the form does not have it (the snapshot's
    value then), else what they left in it (blank is refused by the service)."""
    value = request.form.get(name)
    return value.strip() if value is not None else None


class SnapshotQueueView(BaseView):
    route_base = "/snapshots"
    class_permission_name = "Snapshots"
    base_permissions = ["can_read", "can_write"]
    default_view = "queue"

    def _page(self, *, failed: str | None = None, errors: dict | None = None):
        """The page; after a refused form, ``failed`` names that form (``register-<id>``,
        ``disk-<id>-<position>``), shown again with what was typed and each field's message."""
        queue = review_queue_page(db.session, page_number(request.args.get("page")))
        disks = pending_disk_page(db.session, page_number(request.args.get("disks")))
        return self.render_template(
            "inventory/snapshot_queue.html", title=TITLE, queue=queue.rows, queue_page=queue, disks=disks.rows,
            disks_page=disks,
            at={name: page.number for name, page in (("page", queue), ("disks", disks)) if page.number > 1},
            categories=Category.choices(), kinds=MediumKind.choices(), failed=failed,
            errors=errors or {}, values=request.form if failed else {})

    @expose("/queue/collections")
    @has_access
    @permission_name("read")
    def collections(self):
        """Suggestions for the collection a snapshot is registered in (``app.views.listing``)."""
        return suggestions(LOOKUPS[Collection])

    @expose("/queue")
    @has_access
    @permission_name("read")
    def queue(self):
        return self._page()

    def _register_refused(self, exc: ValidationFailed, snapshot_id: int):
        return self._page(failed=f"register-{snapshot_id}", errors=field_errors(exc))

    @expose(f"/queue/<{ID}:snapshot_id>/register", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=_queue, render="_register_refused", render_on=(ValidationFailed,))
    def register(self, snapshot_id: int):
        record, status = register_queued_snapshot(
            db.session, actor_of(g.user), snapshot_id, collection=text(request.form, "collection"),
            category=text(request.form, "category"), brand=_given("brand"), model=_given("model"))
        tag = record.device.asset_tag
        if status == REGISTERED:
            # Registered (and committed): its label on the reception print station, as a post's.
            label = label_at_reception(db.session, tag)
            flash(f"Appareil enregistré sous le numéro d'inventaire {tag}. {label.message}", "success")
        elif status == COMPLETED:
            flash(f"Appareil {tag} déjà enregistré : sa fiche a été complétée.", "success")
        else:
            flash(f"Appareil {tag} déjà enregistré : sa fiche n'a pas été modifiée.", "info")
        return redirect(url_for("DeviceView.show", pk=record.device_id))

    @expose(f"/queue/<{ID}:snapshot_id>/dismiss", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=_queue)
    def dismiss(self, snapshot_id: int):
        record = dismiss_queued_snapshot(db.session, actor_of(g.user), snapshot_id,
                                         reason=request.form.get("reason"))
        flash(f"Instantané du n° de série {record.serial_number} écarté.", "success")
        return redirect(_queue(self))

    def _add_refused(self, exc: ValidationFailed, snapshot_id: int, position: int):
        return self._page(failed=f"disk-{snapshot_id}-{position}", errors=field_errors(exc))

    @expose(f"/queue/<{ID}:snapshot_id>/disks/<{ID}:position>/add", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=_queue, render="_add_refused", render_on=(ValidationFailed,))
    def add_disk(self, snapshot_id: int, position: int):
        record, medium = add_set_aside_disk(db.session, actor_of(g.user), snapshot_id, position,
                                            serial_number=request.form.get("serial_number"),
                                            kind=request.form.get("kind"))
        flash(f"Disque {medium.serial_number} ajouté à l'appareil {record.device.asset_tag}.", "success")
        return redirect(_queue(self))

    @expose(f"/queue/<{ID}:snapshot_id>/disks/<{ID}:position>/dismiss", methods=["POST"])
    @has_access
    @permission_name("write")
    @domain_errors(redirect_to=_queue)
    def dismiss_disk(self, snapshot_id: int, position: int):
        dismiss_set_aside_disk(db.session, actor_of(g.user), snapshot_id, position,
                               reason=request.form.get("reason"))
        flash("Disque écarté de la file.", "success")
        return redirect(_queue(self))


class EvidenceView(BaseView):
    """``GET /evidence/<uuid>``: where eReuse workbench-script (current mode) points the QR code
    and the address it prints after a post (the server's address, ``/evidence/`` and the
    snapshot's uuid). A technician who scans it lands on the device's sheet, or on the queue while
    the snapshot waits there."""

    route_base = "/evidence"
    class_permission_name = "Snapshots"
    base_permissions = ["can_read"]

    @expose("/<string:uuid>")
    @has_access
    @permission_name("read")
    def show(self, uuid: str):
        received, device_id = queries.snapshot_device_id(db.session, uuid)
        if device_id is not None:
            return redirect(url_for("DeviceView.show", pk=device_id))
        if not received:
            flash("Aucun instantané matériel reçu sous cette référence.", "warning")
        return redirect(url_for("SnapshotQueueView.queue"))
