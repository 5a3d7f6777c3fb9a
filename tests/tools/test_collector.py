"""tools/rekonekt-collect.sh, run for real by a POSIX shell against recorded tool outputs.

No root and no network: fake ``dmidecode``, ``smartctl``, ``lsblk`` and ``curl`` executables
(small sh scripts) come first on PATH. They print the recorded outputs of tests/data/snapshots/
(a Dell Latitude 5490: SATA SSD, HDD with reallocated sectors, NVMe drive, the live USB stick),
and the fake curl keeps what it was sent and answers a canned body with an HTTP status. The
battery is a sysfs tree under a temporary directory (REKONEKT_SYSFS). The script is copied into
the temporary directory so that its rekonekt.conf can sit next to it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "rekonekt-collect.sh"
DATA = ROOT / "tests" / "data" / "snapshots"

SMARTCTL_BY_DEVICE = {
    "/dev/sda": "smartctl_sata_ssd.json",
    "/dev/sdb": "smartctl_hdd_reallocated.json",
    "/dev/sdc": "smartctl_usb_stick.json",   # the live USB stick: must never be asked
    "/dev/nvme0n1": "smartctl_nvme.json",
}
KEYS = ["type", "version", "uuid", "collected_at", "collector", "collection", "dmidecode", "lsblk", "smartctl",
        "battery"]
# Every character class json_string must get right, on top of the recorded dmidecode text.
TRICKY = ('Handle 0x0099, DMI type 11, 5 bytes\nOEM Strings\n'
          '\tString 1: "Dell System" \\ back\\slash \\n not a newline\n'
          '\tString 2: Martinique é à ç ü € 🙂 Ωmega\ttab\x01\x1f\x7f\r\n'
          '\tString 3: \\u00e9 stays literal, a lone "quote\n'
          'Plain ASCII line: C:\\BIOS\\ "quoted" \\\\ end\n\n')

SHELLS = [shell for shell in ("sh", "dash", "busybox", "bash") if shutil.which(shell)]


def shell_command(shell: str) -> list[str]:
    return {"busybox": ["busybox", "sh"], "bash": ["bash", "--posix"]}.get(shell, [shell])


# Rekonekt's 201, keys sorted as Flask sends them: the nested objects come first and hold members
# of the same names, which must not be taken for the answer's own.
SUCCESS = ('{"asset_tag": "RK-000123", "device": {"asset_tag": "RK-999999", "message": "pas celui-ci"}, '
           '"dhid": "RK-000123", "label": {"message": "\\u00c9tiquette imprim\\u00e9e au poste \\u00ab zebra-1 '
           '\\u00bb.", "printed_on": "zebra-1"}, "message": "Appareil enregistr\\u00e9 sous le num\\u00e9ro '
           'd\'inventaire RK-000123. Disque \\u00e0 remplacer : WD-WX21ARK20002 (104 secteurs r\\u00e9allou\\u00e9s). '
           '\\u00c9tiquette imprim\\u00e9e au poste \\u00ab zebra-1 \\u00bb.", "status": "registered", '
           '"url": "https://r.example/d/1"}')
NOT_PRINTED = ('{"asset_tag": "RK-000124", "label": {"message": "\\u00c9tiquette non imprim\\u00e9e au poste '
               '\\u00ab zebra-1 \\u00bb : Imprimante 10.0.0.9:9100 injoignable.", "printed_on": null}, '
               '"message": "Appareil enregistr\\u00e9 sous le num\\u00e9ro d\'inventaire RK-000124. \\u00c9tiquette '
               'non imprim\\u00e9e au poste \\u00ab zebra-1 \\u00bb : Imprimante 10.0.0.9:9100 injoignable.", '
               '"status": "registered"}')
REFUSED = '{"status": "error", "message": "Pas de num\\u00e9ro de s\\u00e9rie syst\\u00e8me dans dmidecode \\u2014 corrigez le BIOS"}'


class Station:
    """A temporary live-USB session: the script, its fake tools, its sysfs and its output dir."""

    def __init__(self, root: Path):
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir()
        self.fake = root / "fake"
        self.fake.mkdir()
        self.out = root / "snapshots"
        self.script = root / "usb" / "rekonekt-collect.sh"
        self.script.parent.mkdir()
        shutil.copy(SCRIPT, self.script)
        self.dmidecode = (DATA / "dmidecode_latitude.txt").read_bytes() + TRICKY.encode("utf-8")
        (self.fake / "dmidecode.txt").write_bytes(self.dmidecode)
        shutil.copy(DATA / "lsblk.json", self.fake / "lsblk.json")
        for device, name in SMARTCTL_BY_DEVICE.items():
            shutil.copy(DATA / name, self.fake / ("smartctl_" + device.rsplit("/", 1)[1] + ".json"))
        supply = root / "sys" / "class" / "power_supply"
        shutil.copytree(DATA / "battery_BAT0", supply / "BAT0")
        (supply / "AC").mkdir()
        (supply / "AC" / "online").write_text("1\n")
        self._tool("dmidecode", 'cat "$FAKE/dmidecode.txt"')
        self._tool("lsblk", 'printf \'%s\\n\' "$*" > "$FAKE/lsblk_args"\ncat "$FAKE/lsblk.json"')
        self._tool("smartctl", 'printf \'%s\\n\' "$*" >> "$FAKE/smartctl_calls"\n'
                               'name=${3##*/}\n[ -f "$FAKE/smartctl_$name.json" ] && cat "$FAKE/smartctl_$name.json"\n'
                               'exit 4')
        self._tool("curl", FAKE_CURL)
        self.answer(200, SUCCESS)

    def _tool(self, name: str, body: str) -> None:
        path = self.bin / name
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(0o755)

    def answer(self, status: int | str, body: str) -> None:
        (self.fake / "status").write_text(str(status))
        (self.fake / "answer.json").write_text(body)

    def conf(self, text: str) -> None:
        (self.script.parent / "rekonekt.conf").write_bytes(text.encode("utf-8"))

    def run(self, *args: str, shell: str = "sh", env: dict[str, str] | None = None, awk: str | None = None):
        path = f"{self.bin}:/usr/bin:/bin"
        if awk:
            awk_dir = self.root / f"awk-{awk}"
            awk_dir.mkdir(exist_ok=True)
            link = awk_dir / "awk"
            if not link.exists():
                link.symlink_to(shutil.which(awk))   # busybox runs as the applet its link is named
            path = f"{awk_dir}:{path}"
        environment = {"PATH": path, "HOME": str(self.root), "TMPDIR": str(self.root), "FAKE": str(self.fake),
                       "REKONEKT_SYSFS": str(self.root / "sys"), "REKONEKT_DIR": str(self.out)}
        environment.update(env or {})
        return subprocess.run([*shell_command(shell), str(self.script), *args], env=environment,
                              capture_output=True, timeout=60, check=False)

    @property
    def body(self) -> dict:
        return json.loads((self.fake / "body.json").read_bytes())

    def sent(self, name: str) -> str:
        path = self.fake / name
        return path.read_text() if path.exists() else ""

    def kept(self) -> list[Path]:
        return sorted(self.out.glob("rekonekt-snapshot-*.json")) if self.out.exists() else []


FAKE_CURL = r'''
calls=$(cat "$FAKE/curl_calls" 2>/dev/null || echo 0)
echo $((calls + 1)) > "$FAKE/curl_calls"
: > "$FAKE/curl_headers"
out=""; format=""; url=""
while [ $# -gt 0 ]; do
    case "$1" in
    -H) case "$2" in @*) cat "${2#@}" >> "$FAKE/curl_headers" ;; *) printf '%s\n' "$2" >> "$FAKE/curl_headers" ;; esac
        shift ;;
    --data-binary) cp "${2#@}" "$FAKE/body.json"; shift ;;
    -o) out=$2; shift ;;
    -w) format=$2; shift ;;
    -X|--connect-timeout|--max-time|--retry|--retry-delay) printf '%s %s\n' "$1" "$2" >> "$FAKE/curl_options"; shift ;;
    -*) printf '%s\n' "$1" >> "$FAKE/curl_options" ;;
    *) url=$1 ;;
    esac
    shift
done
printf '%s' "$url" > "$FAKE/curl_url"
status=$(cat "$FAKE/status")
if [ "$status" = 000 ]; then
    printf '000'
    echo "curl: (7) Failed to connect" >&2
    exit 7
fi
cat "$FAKE/answer.json" > "$out"
[ "$format" = '%{http_code}' ] && printf '%s' "$status"
[ "$status" -lt 400 ]
'''


@pytest.fixture
def station(tmp_path: Path) -> Station:
    return Station(tmp_path)


def expected_battery() -> dict[str, str]:
    entry = {"name": "BAT0"}
    for name in ("energy_full_design", "energy_full", "charge_full_design", "charge_full", "cycle_count",
                 "manufacturer", "model_name", "technology", "status"):
        path = DATA / "battery_BAT0" / name
        if path.exists():
            entry[name] = path.read_text(encoding="utf-8").strip()
    return entry


@pytest.mark.parametrize("shell", SHELLS)
def test_a_collected_snapshot_is_posted_with_exactly_the_agreed_shape(station, shell):
    station.conf("# Rekonekt\r\nREKONEKT_URL=https://rekonekt.example/\r\nREKONEKT_TOKEN='st-4f9a2c'\r\n"
                 "REKONEKT_COLLECTION = \"COL-2026-0042\"\r\n")

    result = station.run(shell=shell)

    assert result.returncode == 0, result.stderr.decode()
    body = station.body
    assert list(body) == KEYS
    assert body["type"] == "RekonektSnapshot" and body["version"] == 1
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", body["uuid"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["collected_at"])
    assert body["collector"] == "rekonekt-collect 1.0"
    assert body["collection"] == "COL-2026-0042"
    assert body["dmidecode"].encode("utf-8") == station.dmidecode
    assert body["lsblk"] == json.loads((DATA / "lsblk.json").read_text())
    assert station.sent("lsblk_args").split() == ["-J", "-b", "-d", "-o", "NAME,TYPE,TRAN,RM,ROTA,SIZE,MODEL,SERIAL"]
    # lsblk order, the USB live stick left out (and never even asked)
    assert body["smartctl"] == [json.loads((DATA / name).read_text()) for name in
                                ("smartctl_sata_ssd.json", "smartctl_hdd_reallocated.json", "smartctl_nvme.json")]
    assert station.sent("smartctl_calls").splitlines() == ["-x --json /dev/sda", "-x --json /dev/sdb",
                                                          "-x --json /dev/nvme0n1"]
    assert body["battery"] == [expected_battery()]
    battery = body["battery"][0]
    assert round(100 * int(battery["energy_full"]) / int(battery["energy_full_design"])) == 87
    # posted where and how the server expects it
    assert station.sent("curl_url") == "https://rekonekt.example/api/v1/snapshots"
    headers = station.sent("curl_headers").splitlines()
    assert "Authorization: Bearer st-4f9a2c" in headers
    assert "Content-Type: application/json" in headers
    assert "-X POST" in station.sent("curl_options").splitlines()
    assert "st-4f9a2c" not in station.sent("curl_options")   # the token is not on curl's command line
    # the technician sees the label to stick, then Rekonekt's message, a sentence a line
    stdout = result.stdout.decode("utf-8")
    assert "    Étiquette : RK-000123 — collez l'étiquette imprimée sur l'appareil\n" in stdout
    assert stdout.split("=" * 66 + "\n\n")[-1].splitlines() == [
        "Appareil enregistré sous le numéro d'inventaire RK-000123.",
        "Disque à remplacer : WD-WX21ARK20002 (104 secteurs réalloués).",
        "Étiquette imprimée au poste « zebra-1 ».", ""]
    assert "pas celui-ci" not in stdout and "RK-999999" not in stdout
    assert station.kept() == []   # sent: nothing left to re-send


@pytest.mark.parametrize("awk", [awk for awk in ("mawk", "gawk", "busybox") if shutil.which(awk)])
def test_dmidecode_text_round_trips_exactly_whatever_the_awk(station, awk):
    result = station.run("--dry-run", awk=awk)

    assert result.returncode == 0, result.stderr.decode()
    snapshot = json.loads(result.stdout)
    assert snapshot["dmidecode"].encode("utf-8") == station.dmidecode
    assert "\t\tPCI is supported" in snapshot["dmidecode"]
    assert '\tString 1: "Dell System" \\ back\\slash \\n not a newline\n' in snapshot["dmidecode"]
    assert "é à ç ü € 🙂 Ωmega\ttab\x01\x1f\x7f\r\n" in snapshot["dmidecode"]
    assert '\nPlain ASCII line: C:\\BIOS\\ "quoted" \\\\ end\n\n' in snapshot["dmidecode"]


def test_bytes_that_are_not_utf8_become_replacement_characters_and_the_json_still_parses(station):
    (station.fake / "dmidecode.txt").write_bytes(b"Serial Number: AB\xe9CD\xff\xc3\n\tOK \xc3\xa9\xf0\x9f\x99\x82 end")

    result = station.run("--dry-run")

    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["dmidecode"] == "Serial Number: AB\ufffdCD\ufffd\ufffd\n\tOK é🙂 end"


def test_the_collection_key_is_omitted_when_no_collection_is_set_and_the_env_wins_over_the_file(station):
    station.conf('REKONEKT_URL=https://wrong.example\nREKONEKT_TOKEN="from-file"\n')

    result = station.run(env={"REKONEKT_URL": "https://rekonekt.example", "REKONEKT_TOKEN": '"from-env"'})

    assert result.returncode == 0, result.stderr.decode()
    assert "collection" not in station.body
    assert list(station.body) == [key for key in KEYS if key != "collection"]
    assert station.sent("curl_url") == "https://rekonekt.example/api/v1/snapshots"
    assert "Authorization: Bearer from-env" in station.sent("curl_headers").splitlines()


@pytest.mark.parametrize("awk", [awk for awk in ("mawk", "gawk", "busybox") if shutil.which(awk)])
def test_a_label_not_printed_is_not_to_be_stuck_and_the_message_says_why(station, awk):
    station.conf("REKONEKT_URL=https://rekonekt.example\nREKONEKT_TOKEN=st-4f9a2c\n")
    station.answer(201, NOT_PRINTED)

    result = station.run(awk=awk)

    assert result.returncode == 0, result.stderr.decode()
    stdout = result.stdout.decode("utf-8")
    assert "    Étiquette : RK-000124\n" in stdout and "collez" not in stdout
    assert stdout.split("=" * 66 + "\n\n")[-1].splitlines() == [
        "Appareil enregistré sous le numéro d'inventaire RK-000124.",
        "Étiquette non imprimée au poste « zebra-1 » : Imprimante 10.0.0.9:9100 injoignable.", ""]


def test_an_answer_with_a_tag_only_prints_the_tag(station):
    """workbench-script's answer shape (DeviceHub's dhid, no message, no label)."""
    station.answer(201, '{"dhid": "RK-000125", "url": "https://r.example/d/3"}')

    result = station.run(env={"REKONEKT_URL": "https://rekonekt.example", "REKONEKT_TOKEN": "t"})

    assert result.returncode == 0, result.stderr.decode()
    stdout = result.stdout.decode("utf-8")
    assert "    Étiquette : RK-000125\n" in stdout and stdout.endswith("=" * 66 + "\n\n")


def test_a_refused_snapshot_prints_the_french_message_exits_non_zero_and_is_kept(station):
    station.conf("REKONEKT_URL=https://rekonekt.example\nREKONEKT_TOKEN=st-4f9a2c\n")
    station.answer(422, REFUSED)

    result = station.run()

    assert result.returncode != 0
    stdout = result.stdout.decode("utf-8")
    assert ("ÉCHEC de l'envoi (HTTP 422) : Pas de numéro de série système dans dmidecode — corrigez le BIOS"
            in stdout)
    assert "Étiquette" not in stdout
    [kept] = station.kept()
    assert kept.read_bytes() == (station.fake / "body.json").read_bytes()
    assert kept.name == f"rekonekt-snapshot-{station.body['uuid']}.json"
    assert f"--resend {kept}" in stdout


def test_an_unreachable_server_is_said_in_french_and_the_snapshot_is_kept(station):
    station.answer("000", "")

    result = station.run(env={"REKONEKT_URL": "https://rekonekt.example", "REKONEKT_TOKEN": "t"})

    assert result.returncode != 0
    assert "ÉCHEC : Rekonekt injoignable (https://rekonekt.example, curl code 7)" in result.stdout.decode("utf-8")
    assert len(station.kept()) == 1


def test_a_kept_snapshot_is_re_sent_as_it_is_with_resend(station):
    station.conf("REKONEKT_URL=https://rekonekt.example\nREKONEKT_TOKEN=st-4f9a2c\n")
    station.answer(503, '{"message": "Service indisponible"}')
    assert station.run().returncode != 0
    [kept] = station.kept()
    first = kept.read_bytes()
    (station.fake / "body.json").unlink()
    station.answer(201, SUCCESS)

    result = station.run("--resend", str(kept))

    assert result.returncode == 0, result.stderr.decode()
    assert (station.fake / "body.json").read_bytes() == first
    assert "Étiquette : RK-000123" in result.stdout.decode("utf-8")
    assert station.sent("curl_calls").strip() == "2"
    assert kept.exists()   # the technician's file is never deleted by --resend
    assert station.sent("smartctl_calls").count("/dev/sda") == 1   # nothing collected again


@pytest.mark.parametrize("shell", SHELLS)
def test_dry_run_prints_the_snapshot_and_posts_nothing(station, shell):
    station.conf("REKONEKT_URL=https://rekonekt.example\nREKONEKT_TOKEN=st-4f9a2c\n")

    result = station.run("--dry-run", shell=shell)

    assert result.returncode == 0, result.stderr.decode()
    assert list(json.loads(result.stdout)) == [key for key in KEYS if key != "collection"]
    assert not (station.fake / "curl_calls").exists()
    assert station.kept() == []


def test_old_lsblk_strings_and_zram_are_understood(station):
    (station.fake / "lsblk.json").write_text(json.dumps({"blockdevices": [
        {"name": "sda", "type": "disk", "tran": "sata", "rm": "0", "rota": "0", "size": "250059350016",
         "model": "Samsung SSD 860 EVO 250GB", "serial": "S3YJNX0RK10001A"},
        {"name": "sdc", "type": "disk", "tran": None, "rm": "1", "rota": "0", "size": "15376318464",
         "model": "Card Reader", "serial": None},
        {"name": "sr0", "type": "rom", "tran": "sata", "rm": "1", "rota": "1", "size": "1073741312",
         "model": "DVD", "serial": None},
        {"name": "zram0", "type": "disk", "tran": None, "rm": "0", "rota": "0", "size": "0", "model": None,
         "serial": None},
        {"name": "sdd", "type": "disk", "tran": "usb", "rm": "0", "rota": "1", "size": "1000204886016",
         "model": "External HDD", "serial": "X"}]}))

    result = station.run("--dry-run")

    assert result.returncode == 0, result.stderr.decode()
    assert station.sent("smartctl_calls").splitlines() == ["-x --json /dev/sda"]


def test_a_disk_whose_smartctl_prints_nothing_is_skipped(station):
    (station.fake / "smartctl_sdb.json").unlink()

    result = station.run("--dry-run")

    smartctl = json.loads(result.stdout)["smartctl"]
    assert [disk["device"]["name"] for disk in smartctl] == ["/dev/sda", "/dev/nvme0n1"]


def test_without_url_or_token_nothing_is_posted_and_the_snapshot_is_kept(station):
    result = station.run()

    assert result.returncode != 0
    assert "REKONEKT_URL et REKONEKT_TOKEN" in result.stderr.decode("utf-8")
    assert not (station.fake / "curl_calls").exists()
    assert len(station.kept()) == 1


def test_help_is_in_french(station):
    result = station.run("--help")

    assert result.returncode == 0
    assert "relève le matériel, l'envoie à Rekonekt et affiche l'étiquette" in result.stdout.decode("utf-8")


def test_the_script_is_posix_shell():
    assert SCRIPT.read_text().startswith("#!/bin/sh\n")
    assert os.access(SCRIPT, os.X_OK)
    for shell in SHELLS:
        check = subprocess.run([*shell_command(shell), "-n", str(SCRIPT)], capture_output=True, check=False)
        assert check.returncode == 0, (shell, check.stderr)
    if shutil.which("shellcheck"):
        check = subprocess.run(["shellcheck", "-s", "sh", str(SCRIPT)], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout
