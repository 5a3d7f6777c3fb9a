"""The scan station page (``/scan``). The page itself is static; every scan goes through
``POST /api/v1/scan`` without reloading."""
from __future__ import annotations

from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from inventory.lifecycle import STATION_TARGETS
from inventory.vocabulary import ErasureTechnique, Grade, MediumKind, Station

# The station's « Inventaire » mode: its scans go to POST /api/v1/stocktakes/scan (app/static/js/scan.js).
STOCKTAKE_MODE = "stocktake"

# What the station proposes by default for a quick erasure record, per medium kind.
DEFAULT_ERASURE = {
    MediumKind.HDD.value: ("purge", ErasureTechnique.ATA_SECURE_ERASE.value),
    MediumKind.SSD.value: ("purge", ErasureTechnique.ATA_SECURE_ERASE.value),
    MediumKind.NVME.value: ("purge", ErasureTechnique.NVME_SANITIZE.value),
    MediumKind.EMMC.value: ("purge", ErasureTechnique.FACTORY_RESET.value),
    MediumKind.FLASH.value: ("purge", ErasureTechnique.FACTORY_RESET.value),
    MediumKind.SDCARD.value: ("clear", ErasureTechnique.OVERWRITE.value),
}


class ScanView(BaseView):
    route_base = "/scan"
    class_permission_name = "Scan"
    base_permissions = ["can_write"]
    default_view = "station"

    @expose("/")
    @has_access
    @permission_name("write")
    def station(self):
        from inventory.lifecycle import State

        return self.render_template(
            "inventory/scan.html",
            title=_l("Scan station"),
            stations=[(s.value, s.label, STATION_TARGETS[s].value if STATION_TARGETS[s] else None) for s in Station],
            states={s.value: s.label for s in State},
            grades=Grade.values(),
            default_erasure=DEFAULT_ERASURE,
            techniques={t.value: t.label for t in ErasureTechnique},
            media_labels={m.value: m.label for m in MediumKind},
            stocktake_mode=STOCKTAKE_MODE,
        )
