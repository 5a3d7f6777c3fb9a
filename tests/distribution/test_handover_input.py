"""The handover's input (``HandoverIn``), shared by the form and the API: the household's internet
access is required, and the refusal names the field in French."""
from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from core.schemas import load
from distribution.schemas import HandoverIn

REQUIRED = "Indiquez l'accès à internet du foyer."


@pytest.mark.parametrize("body", [{"payment_method": "cash"}, {"payment_method": "cash", "internet_access": None}])
def test_internet_access_is_required(body):
    with pytest.raises(ValidationFailed) as refused:
        load(HandoverIn(), body)
    assert refused.value.errors == {"internet_access": [REQUIRED]}
    assert refused.value.message == f"Données refusées. accès à internet (internet_access) : {REQUIRED}"


def test_internet_access_is_one_of_the_known_kinds():
    with pytest.raises(ValidationFailed) as refused:
        load(HandoverIn(), {"payment_method": "cash", "internet_access": "pigeon"})
    assert list(refused.value.errors) == ["internet_access"]
    assert load(HandoverIn(), {"payment_method": "cash", "internet_access": "none"})["internet_access"] == "none"
