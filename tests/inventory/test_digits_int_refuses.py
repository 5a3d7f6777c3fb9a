"""Numbers in uploaded reports and label codes (issue 18 review): ``str.isdigit`` holds for « ² »,
« ③ »…, which ``int`` refuses, so a check with it let a ValueError through (a server error on the
upload or the label page). They are refused in French, or named as unknown, like any other text."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import NotFound, ValidationFailed
from inventory.label_content import build_labels
from inventory.services.erasure_import import read_report

NWIPE = (Path(__file__).resolve().parents[1] / "data" / "nwipe" / "complete_single.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("line, changed", [
    ("rounds   = 1", "rounds   = ²"),                                       # the options' rounds
    ("sda |           0 |", "sda |           ² |"),                         # the Error Summary's counts
    ("sect/blk/dev 512/4096/500107862016", "sect/blk/dev 512/4096/①"),     # a drive's size
])
def test_an_nwipe_log_with_such_a_number_is_refused_in_french(line, changed):
    assert line in NWIPE
    with pytest.raises(ValidationFailed) as refused:
        read_report(NWIPE.replace(line, changed).encode())
    assert list(refused.value.errors) == ["file"] and "illisible" in refused.value.errors["file"][0]


@pytest.mark.parametrize("passes", ["-²", "③"])
def test_a_csv_report_with_such_a_number_is_refused_in_french(passes):
    content = f"serial_number,result,passes\nABC123,pass,{passes}\n".encode()
    with pytest.raises(ValidationFailed) as refused:
        read_report(content)
    assert "passes" in " ".join(refused.value.errors) and "Rapport refusé" in refused.value.message


@pytest.mark.parametrize("code", ["SP-²", "SP-①", "SP-" + "9" * 30])
def test_a_spare_part_label_code_int_refuses_is_an_unknown_code(session, code):
    with pytest.raises(NotFound) as unknown:
        build_labels(session, "spare_part", code)
    assert "Code inconnu" in unknown.value.message
