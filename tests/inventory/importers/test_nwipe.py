"""Reading nwipe/ShredOS logs: the sample logs of ``tests/data/nwipe`` and variants of them.

Pure tests: no application, no database.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from inventory.importers.nwipe import DriveReport, NwipeLogError, looks_like_nwipe, parse_nwipe_log

DATA = Path(__file__).resolve().parents[2] / "data" / "nwipe"
SAMPLES = ["complete_single", "multi_drive", "failed", "truncated"]
COMPLETE = ["complete_single", "multi_drive", "failed"]


def sample(name: str) -> str:
    return (DATA / f"{name}.txt").read_text(encoding="utf-8")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.split("\n"), 1) if needle in line)


def raises(text: str) -> NwipeLogError:
    with pytest.raises(NwipeLogError) as caught:
        parse_nwipe_log(text)
    return caught.value


# --- The samples ----------------------------------------------------------------------------------

def test_complete_single_ssd():
    log = parse_nwipe_log(sample("complete_single"))
    assert (log.tool, log.tool_version, log.warnings) == ("nwipe", "0.38", [])
    assert log.drives == [DriveReport(
        device_name="/dev/sda", serial_number="VS87A23105K4Q9M",
        model="VELTRA VS870 500GB",      # the "Found" line, not the table's 17 characters
        manufacturer=None, size_bytes=500107862016, bus="ATA", method="DoD Short", prng="Isaac",
        rounds=1, verification="Verify Last", blanking=True, hpa_dco="No hidden sectors",
        started_at=utc(2024, 3, 12, 12, 21, 37),          # 08:21:37 in Martinique
        ended_at=utc(2024, 3, 12, 13, 55, 34),            # + 01:33:57
        bytes_erased=500107862016, errors=0, status="pass", status_text="Erased")]


def test_multi_drive_shredos_run():
    log = parse_nwipe_log(sample("multi_drive"))
    assert (log.tool, log.tool_version) == ("nwipe", "0.38")      # ShredOS v2024.11_27_x86-64_0.38
    nvme, hdd, usb = log.drives                                    # the Drive Status order
    assert [d.device_name for d in log.drives] == ["/dev/nvme0n1", "/dev/sda", "/dev/sdc"]
    for drive in log.drives:
        assert (drive.method, drive.prng, drive.rounds, drive.verification, drive.blanking, drive.errors) == (
            "PRNG Stream", "Isaac", 1, "Verify Last", True, 0)
        assert drive.status_text == "Erased" and drive.manufacturer is None
        assert drive.bytes_erased == drive.size_bytes

    assert (nvme.serial_number, nvme.model, nvme.bus, nvme.size_bytes, nvme.hpa_dco, nvme.status) == (
        "KN34N2312000417", "KESTREL KN3400 512GB", "NVME", 512110190592, None, "pass")
    assert (nvme.started_at, nvme.ended_at) == (utc(2024, 5, 21, 13, 5, 12), utc(2024, 5, 21, 13, 20, 49))

    assert (hdd.serial_number, hdd.model, hdd.bus, hdd.size_bytes, hdd.hpa_dco, hdd.status) == (
        "OM71ZC4RQ", "OREMAX OM1000LM-2E", "ATA", 1000204886016, "No hidden sectors", "pass")
    assert (hdd.started_at, hdd.ended_at) == (utc(2024, 5, 21, 13, 5, 13), utc(2024, 5, 21, 18, 5, 21))

    # Behind a USB bridge without pass-through: no serial, HPA/DCO unknown; nwipe still says Erased.
    assert (usb.serial_number, usb.model, usb.bus, usb.size_bytes, usb.hpa_dco, usb.status) == (
        None, "ORBIX PortaDisk", "USB", 320072933376, "HIDDEN AREA INDETERMINATE!", "pass_with_warnings")
    assert (usb.started_at, usb.ended_at) == (utc(2024, 5, 21, 13, 5, 13), utc(2024, 5, 21, 20, 30, 31))
    assert log.warnings == [
        "Le disque /dev/sdc (ORBIX PortaDisk) n'a pas de numéro de série dans le journal nwipe : "
        "il faudra l'identifier autrement.",
        "État HPA/DCO indéterminé sur /dev/sdc : nwipe ne peut pas garantir que d'éventuels secteurs "
        "cachés ont été effacés.",
    ]


def test_failed_drive():
    log = parse_nwipe_log(sample("failed"))
    assert log.warnings == []
    (drive,) = log.drives
    assert (drive.device_name, drive.serial_number, drive.model, drive.bus, drive.size_bytes) == (
        "/dev/sdb", "OM2B7H41KD", "OREMAX OM250SX-1B", "ATA", 250059350016)
    assert (drive.method, drive.prng, drive.rounds, drive.verification, drive.blanking) == (
        "Fill With Zeros", "Isaac", 1, "Verify Last", False)                  # 1R+NB+VL
    assert (drive.status, drive.status_text, drive.errors) == ("fail", "FAILED", 2)   # 1 pass + 1 fdatasync
    assert drive.bytes_erased == 61439995904                  # how far the zeros pass got
    assert (drive.started_at, drive.ended_at) == (utc(2024, 6, 4, 18, 3, 27), utc(2024, 6, 4, 18, 14, 42))


def test_truncated_log_is_refused_in_french():
    text = sample("truncated")
    last = len(text.rstrip("\n").split("\n"))
    error = raises(text)
    assert error.line == last
    assert error.message.startswith(f"Journal nwipe tronqué : le résumé de fin de passage manque (ligne {last}).")
    assert "/dev/sda" in error.message and "commencé ligne" in error.message


@pytest.mark.parametrize("name", SAMPLES)
def test_samples_are_recognised(name):
    assert looks_like_nwipe(sample(name))


# --- Truncation elsewhere ---------------------------------------------------------------------------

def test_log_cut_in_the_middle_of_a_line():
    text = sample("truncated") + "[2024/07/09 11:0"                # no newline: the file stops here
    error = raises(text)
    assert error.message.startswith("Journal nwipe tronqué : le résumé de fin de passage manque")


def test_log_cut_inside_the_drive_status_table():
    text = sample("complete_single")
    cut = text[: text.index("--------", text.index("| Erased |"))]
    error = raises(cut)
    assert error.message.startswith("Journal nwipe tronqué : le résumé de fin de passage est incomplet")
    assert f"ligne {line_of(text, 'Drive Status')}" in error.message


def test_log_cut_after_the_error_summary():
    text = sample("complete_single")
    lines = text.split("\n")
    cut = "\n".join(lines[: line_of(text, "Drive Status") - 1]) + "\n"     # up to the blank line after it
    assert "Error Summary" in cut and "Drive Status" not in cut
    assert raises(cut).message.startswith("Journal nwipe tronqué : le résumé de fin de passage manque")


def test_drive_started_but_missing_from_the_summary():
    text = sample("multi_drive")
    row = next(line for line in text.split("\n") if "| ORBIX PortaDisk/" in line)
    error = raises(text.replace(row + "\n", ""))
    assert error.message.startswith("Journal nwipe incohérent : l'effacement de /dev/sdc a commencé ligne ")
    assert error.line == line_of(text, "Drive Status")


# --- Not nwipe, malformed -------------------------------------------------------------------------

CSV = "serial_number;model;level;technique;result\nDISK-1;WDC WD5000;clear;overwrite;pass\n"


@pytest.mark.parametrize("text", [
    CSV,
    '{"drives": [{"serial_number": "DISK-1"}]}',
    "hello world",
    "[2024/03/12 08:19:44] something that is not nwipe\n",
])
def test_other_files_are_not_nwipe_logs(text):
    assert not looks_like_nwipe(text)
    error = raises(text)
    assert error.message.startswith("Ce fichier n'est pas un journal nwipe (ligne 1 : ")
    assert error.line == 1


def test_empty_text():
    assert not looks_like_nwipe("  \n")
    assert raises("  \n").message == "Journal nwipe vide."


def test_unreadable_size_names_its_line():
    text = sample("complete_single").replace("sect/blk/dev 512/4096/500107862016", "sect/blk/dev 512/4096/5001O7862016")
    error = raises(text)
    number = line_of(text, "sect/blk/dev")
    assert error.line == number
    assert error.message == (f"Taille illisible pour /dev/sda (ligne {number}) : « 512/4096/5001O7862016 » "
                             "n'est pas un nombre d'octets.")


@pytest.mark.parametrize("bad", ["[2024/13/12 08:41:00]", "[2024/03/12 8h41]"])
def test_unreadable_date_names_its_line(bad):
    text = sample("complete_single").replace("[2024/03/12 08:41:00]", bad, 1)
    error = raises(text)
    number = line_of(text, bad)
    assert error.line == number
    assert error.message.startswith(f"Date illisible (ligne {number}) : « {bad}")


def test_unknown_status_word_is_not_guessed():
    text = sample("complete_single").replace("| Erased |", "|SHREDDED|")
    error = raises(text)
    assert error.message == ("Statut inconnu « SHREDDED » pour sda dans le tableau « Drive Status » "
                             f"(ligne {line_of(text, 'SHREDDED')}).")


def test_unreadable_table_row():
    text = sample("complete_single").replace("| 01:33:57 |", "| 1h33 |")
    error = raises(text)
    assert error.line == line_of(text, "| 1h33 |")
    assert error.message.startswith(f"Ligne illisible dans le tableau « Drive Status » (ligne {error.line})")


def test_unreadable_error_count():
    text = sample("failed").replace("|           1 |", "|         one |")
    error = raises(text)
    assert error.line == line_of(text, "one |")
    assert error.message.startswith("Nombre d'erreurs illisible dans le tableau « Error Summary »")


# --- Line endings and terminal noise ----------------------------------------------------------------

@pytest.mark.parametrize("name", COMPLETE)
def test_crlf_and_trailing_spaces_parse_the_same(name):
    text = sample(name)
    assert parse_nwipe_log(text.replace("\n", "\r\n")) == parse_nwipe_log(text)
    assert parse_nwipe_log("\n".join(line + "  \t " for line in text.split("\n"))) == parse_nwipe_log(text)


@pytest.mark.parametrize("name", COMPLETE)
def test_ansi_colours_and_box_drawing_parse_the_same(name):
    text = sample(name)
    noisy = []
    for line in text.split("\n"):
        line = re.sub(r"(notice|info|warning|error|fatal):", "\x1b[1;32m\\1:\x1b[0m", line, count=1)
        if "|" in line and not line.startswith("["):
            line = line.replace("|", "│")
        if set(line) == {"-"}:
            line = "─" * len(line)
        noisy.append(line)
    noisy_text = "\ufeff" + "\r\n".join(noisy)
    assert looks_like_nwipe(noisy_text)
    assert parse_nwipe_log(noisy_text) == parse_nwipe_log(text)


# --- Time zone ----------------------------------------------------------------------------------------

def test_times_are_read_in_the_given_time_zone():
    (drive,) = parse_nwipe_log(sample("complete_single"), tz=timezone.utc).drives
    assert (drive.started_at, drive.ended_at) == (utc(2024, 3, 12, 8, 21, 37), utc(2024, 3, 12, 9, 55, 34))
    assert drive.started_at.tzinfo is timezone.utc


# --- Variants of the format -----------------------------------------------------------------------

def test_hidden_area_detected_gives_a_warning():
    text = sample("complete_single").replace("   info: No hidden sectors on /dev/sda",
                                             "warning: HIDDEN AREA DETECTED! on /dev/sda")
    log = parse_nwipe_log(text)
    assert (log.drives[0].hpa_dco, log.drives[0].status) == ("HIDDEN AREA DETECTED!", "pass_with_warnings")
    assert log.warnings == ["Zone cachée (HPA/DCO) détectée sur /dev/sda : nwipe n'efface pas les secteurs cachés."]


def test_serial_hidden_by_the_quiet_option():
    text = sample("complete_single").replace("VS87A23105K4Q9M", "XXXXXXXXXXXXXXX")
    log = parse_nwipe_log(text)
    assert log.drives[0].serial_number is None
    assert log.warnings == ["Le numéro de série du disque /dev/sda (VELTRA VS870 500GB) est masqué dans le journal "
                            "(nwipe lancé avec l'option -q) : il faudra l'identifier autrement."]


def test_manufacturer_from_a_verbose_smartctl_line():
    text = sample("multi_drive").replace(
        "warning: /dev/sdc USB bridge, no pass-through support",
        "   info: smartctl: vendor:               ORBIX\n"
        "[2024/05/21 09:01:59]    info: smartctl: product:              PortaDisk")
    drives = {d.device_name: d for d in parse_nwipe_log(text).drives}
    assert (drives["/dev/sdc"].manufacturer, drives["/dev/sda"].manufacturer) == ("ORBIX", None)


@pytest.mark.parametrize("word,text_word", [("UABORTED", "UABORTED"), ("INSANITY", "INSANITY"), ("-FAILED-", "FAILED")])
def test_every_non_erased_status_fails(word, text_word):
    text = sample("complete_single").replace("| Erased |", f"|{word}|")
    (drive,) = parse_nwipe_log(text).drives
    assert (drive.status, drive.status_text) == ("fail", text_word)


OLD_LOG = """\
[2021/03/02 09:12:01] info: Automatically enumerated 1 devices.
[2021/03/02 09:12:01] notice: Found /dev/sda, ATA OREMAX OM160JJ-2, 160GB, S/N=OM16K3J2LP
[2021/03/02 09:12:30] notice: Program options are set as follows...
[2021/03/02 09:12:30] notice:   prng     = Mersenne Twister
[2021/03/02 09:12:30] notice:   method   = Quick Erase
[2021/03/02 09:12:30] notice:   rounds   = 1
[2021/03/02 09:12:30] notice:   verify   = 1 (last pass)
[2021/03/02 09:12:30] info: Device /dev/sda has serial number OM16K3J2LP
[2021/03/02 09:12:30] info: Device '/dev/sda' is size 160041885696.
[2021/03/02 09:12:30] notice: Invoking method 'Quick Erase' on /dev/sda
[2021/03/02 09:39:42] notice: 160041885696 bytes written to /dev/sda
[2021/03/02 10:06:55] notice: [SUCCESS] Verified that /dev/sda is empty.
[2021/03/02 10:06:55] error: 3 verification errors on '/dev/sda'.

********************************* Drive Status *********************************
! Device | Status | Thru-put | HH:MM:SS | Model/Serial Number
--------------------------------------------------------------------------------
     sda | Erased |  98 MB/s | 00:54:25 | OREMAX OM160JJ-2/OM16K3J2LP
--------------------------------------------------------------------------------
[2021/03/02 10:07:03] Total Throughput 98 MB/s, Quick Erase, 1R+B+VL
********************************************************************************
"""


def test_older_log_without_error_summary():
    """Before mid-2021 there was no Error Summary and a drive with verification errors could still
    show "Erased" (fixed by nwipe pull request #317): it is kept as erased, with warnings."""
    log = parse_nwipe_log(OLD_LOG)
    assert log.tool_version is None
    (drive,) = log.drives
    assert (drive.device_name, drive.serial_number, drive.model, drive.bus, drive.size_bytes) == (
        "/dev/sda", "OM16K3J2LP", "OREMAX OM160JJ-2", None, 160041885696)
    assert (drive.method, drive.prng, drive.rounds, drive.verification, drive.blanking) == (
        "Quick Erase", "Mersenne Twister", 1, "Verify Last", True)
    assert (drive.status, drive.status_text, drive.errors) == ("pass_with_warnings", "Erased", 3)
    assert (drive.started_at, drive.ended_at) == (utc(2021, 3, 2, 13, 12, 30), utc(2021, 3, 2, 14, 6, 55))
    assert log.warnings == ["nwipe déclare /dev/sda effacé malgré 3 erreur(s) de passage ou de vérification."]


def test_abort_before_any_wipe_gives_no_drive():
    text = "\n".join(sample("complete_single").split("\n")[:30]) + (
        "\n[2024/03/12 08:20:02]    info: Nwipe was aborted by the user prior to the wipe starting.\n")
    log = parse_nwipe_log(text)
    assert log.drives == []
    assert log.warnings == ["Aucun effacement dans ce journal : nwipe a été arrêté avant le début de l'effacement."]


def test_appended_runs_report_each_drive_once():
    first = sample("complete_single")
    second = first.replace("2024/03/12", "2024/03/13")
    log = parse_nwipe_log(first + second)
    (drive,) = log.drives
    assert drive.started_at == utc(2024, 3, 13, 12, 21, 37)


def test_new_run_after_an_unfinished_one_is_refused():
    text = sample("truncated") + sample("complete_single")
    error = raises(text)
    assert error.message.startswith("Journal nwipe tronqué : le résumé de fin de passage manque (ligne 73).")
