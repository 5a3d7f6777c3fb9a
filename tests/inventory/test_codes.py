"""Identifier checks and scan-code normalisation."""
from __future__ import annotations

import pytest

from inventory.codes import imei_problem, luhn_valid, normalise_scan, siret_problem


@pytest.mark.parametrize("digits,ok", [("79927398713", True), ("79927398710", False), ("", False), ("12a4", False)])
def test_luhn(digits, ok):
    assert luhn_valid(digits) is ok


def test_imei():
    assert imei_problem("490154203237518") is None
    assert imei_problem("490154203237517") == "la clé de contrôle de cet IMEI est fausse (vérifiez la saisie)."
    assert imei_problem("49015420323751") == "un IMEI compte exactement 15 chiffres."
    assert imei_problem("4901542032375AB") == "un IMEI compte exactement 15 chiffres."


def test_siret():
    assert siret_problem("73282932000074") is None          # a real, valid SIRET
    assert siret_problem("73282932000075") == "la clé de contrôle de ce SIRET est fausse (vérifiez la saisie)."
    assert siret_problem("7328293200007") == "un SIRET compte exactement 14 chiffres."
    assert siret_problem("35600000000048") is None          # La Poste's head office (Luhn)
    assert siret_problem("35600000049837") is None          # a La Poste office: digit sum multiple of 5


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("RK-000123", "RK-000123"),
        ("  rk-000123\r\n", "RK-000123"),
        ("\x02RK-000123\x03", "RK-000123"),      # STX/ETX framing
        ("]C0RK-000123", "RK-000123"),           # AIM symbology identifier (Code 128)
        ("*LOC-LAM-A01*", "LOC-LAM-A01"),        # Code 39 start/stop characters
        ("\tcol-2026-0001\t", "COL-2026-0001"),
        ("356938035643809\n", "356938035643809"),
        ("   ", ""),
    ],
)
def test_normalise_scan(raw, expected):
    assert normalise_scan(raw) == expected


def test_configured_scanner_prefix_and_suffix():
    assert normalise_scan("#RK-000001$", ("#",), ("$",)) == "RK-000001"
