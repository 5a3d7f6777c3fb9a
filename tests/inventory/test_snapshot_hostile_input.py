"""Hostile input on the snapshot endpoint's service (issue 18 review): what a post may carry in
its own fields reaches the service as a French refusal naming the field, never an exception."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.actor import Actor
from core.errors import ValidationFailed
from inventory.models import DeviceSnapshot
from inventory.services.snapshots import receive_snapshot
from tests.helpers import make_workshop
from tests.inventory.snapshots.helpers import load

STATION = Actor(None, "Poste de réception Lamentin", frozenset())


@pytest.fixture
def shop(session):
    return make_workshop(session)


@pytest.mark.parametrize("named", ["²", "³3", "①", "1²"])
def test_a_collection_named_with_digits_int_refuses_is_an_unknown_collection(session, shop, named):
    """``str.isdigit`` holds for « ² » and « ① », which ``int`` refuses: the collection named in
    the snapshot itself (Rekonekt format) or beside it gave a ValueError, a server error."""
    beside = load("workbench_script")
    inside = load("rekonekt_snapshot")
    inside["collection"] = named
    for data, ref in ((beside, named), (inside, None)):
        with pytest.raises(ValidationFailed) as refused:
            receive_snapshot(session, STATION, data, ref)
        assert list(refused.value.errors) == ["collection"]
        assert "inconnue" in refused.value.errors["collection"][0]
    assert session.execute(select(func.count()).select_from(DeviceSnapshot)).scalar_one() == 0
