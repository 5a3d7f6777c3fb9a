"""Fixtures of the inventory tests."""
from __future__ import annotations

import pytest

from tests.helpers import make_workshop


@pytest.fixture
def shop(session):
    """The test workshop: a donor, a site at Le Lamentin with two bins, an open collection."""
    return make_workshop(session)


@pytest.fixture
def tech(users):
    """The user id of the technicien account."""
    return users["technicien"]
