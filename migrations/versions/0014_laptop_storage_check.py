"""the laptop checklist gains « Stockage : état SMART correct » (issue 17: a hardware snapshot
pre-fills it from the disks' health), after the battery item, where it is not there already

Revision ID: 0014_laptop_storage_check
Revises: 0013_device_snapshots
Create Date: 2026-12-04 16:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0014_laptop_storage_check'
down_revision = '0013_device_snapshots'
branch_labels = None
depends_on = None

STORAGE = {"key": "storage_health", "label": "Stockage : état SMART correct", "kind": "bool"}
templates = sa.table("checklist_template", sa.column("category", sa.String), sa.column("items", sa.JSON))


def _items(category):
    return op.get_bind().execute(sa.select(templates.c["items"]).where(templates.c.category == category)).scalar()


def upgrade():
    items = _items("laptop")
    if items is None or any(item.get("key") == STORAGE["key"] for item in items):
        return      # a fresh database (the templates come with the bootstrap) or already there
    keys = [item.get("key") for item in items]
    at = keys.index("battery_health") + 1 if "battery_health" in keys else len(items)
    op.execute(templates.update().where(templates.c.category == "laptop")
               .values(items=items[:at] + [STORAGE] + items[at:]))


def downgrade():
    items = _items("laptop")
    if items is not None:
        op.execute(templates.update().where(templates.c.category == "laptop")
                   .values(items=[item for item in items if item.get("key") != STORAGE["key"]]))
