"""ZPL output: its structure, and delivery to a printer over raw TCP."""
from __future__ import annotations

import re
import socket
import threading
import time

import pytest

from labels.code128 import MM_PER_INCH
from labels.data import LabelData
from labels.errors import LabelError
from labels.formats import get_format
from labels.printer import parse_address, send
from labels.zpl import render_zpl

LABELS = [LabelData(f"RK-{n:06d}", "Ordinateur portable — Dell", ("8 Go · SSD 256 Go", "Note A")) for n in (1, 2, 3)]


@pytest.mark.parametrize("dpi", [203, 300])
def test_structure(dpi):
    fmt = get_format("roll-62x29")
    zpl = render_zpl(LABELS, fmt, dpi=dpi)
    blocks = re.findall(r"\^XA(.*?)\^XZ", zpl, flags=re.S)
    assert len(blocks) == 3 and zpl.count("^XA") == zpl.count("^XZ") == 3
    for label, block in zip(LABELS, blocks):
        assert f"^PW{round(62 * dpi / MM_PER_INCH)}" in block and f"^LL{round(29 * dpi / MM_PER_INCH)}" in block
        (barcode,) = re.findall(r"\^BY(\d+),2,(\d+)\^BCN,(\d+),N,N,N,A\^FH\^FD([^^]+)\^FS", block)
        module_dots, height, height_again, data = barcode
        assert data == label.code and height == height_again
        assert int(module_dots) >= (2 if dpi == 203 else 3)   # ≥ 0.19 mm, in whole dots
        assert "^CI28" in block  # UTF-8 text: accents print


def test_reserved_characters_are_escaped():
    zpl = render_zpl([LabelData("RK-000001", "Prix ^ 10 ~ promo_", ())], get_format("roll-57x32"))
    assert "Prix _5E 10 _7E promo_5F" in zpl


def test_refusals():
    with pytest.raises(LabelError) as sheet:
        render_zpl(LABELS, get_format("avery-l7160"))
    assert sheet.value.message == "Le ZPL est pour les imprimantes thermiques : choisissez un format en rouleau."
    with pytest.raises(LabelError):
        render_zpl([], get_format("roll-62x29"))
    with pytest.raises(LabelError):
        render_zpl(LABELS, get_format("roll-62x29"), dpi=600)


def test_sent_to_a_printer_over_tcp():
    received = bytearray()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def accept():
        connection, _ = server.accept()
        with connection:
            while chunk := connection.recv(65536):
                received.extend(chunk)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    zpl = render_zpl(LABELS, get_format("roll-62x29"))
    assert send(f"127.0.0.1:{port}", zpl) == len(zpl.encode())
    thread.join(timeout=5)
    server.close()
    assert received.decode() == zpl


def test_an_unreachable_printer_fails_fast_in_french():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there any more
    with pytest.raises(LabelError) as refused:
        send(f"127.0.0.1:{port}", "^XA^XZ", timeout=2)
    assert refused.value.message.startswith(f"Imprimante 127.0.0.1:{port} injoignable")



def test_a_printer_that_stops_reading_times_out_instead_of_hanging():
    jammed = socket.socket()
    jammed.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    jammed.bind(("127.0.0.1", 0))
    jammed.listen(1)
    port = jammed.getsockname()[1]
    held = []
    thread = threading.Thread(target=lambda: held.append(jammed.accept()), daemon=True)
    thread.start()  # accepts, then never reads: the printer's buffer is full
    started = time.monotonic()
    with pytest.raises(LabelError) as silent:
        send(f"127.0.0.1:{port}", "^XA" + "X" * 50_000_000 + "^XZ", timeout=1)
    assert time.monotonic() - started < 10
    assert silent.value.message == (f"L'imprimante 127.0.0.1:{port} ne répond pas (délai de 1 s dépassé) : "
                                    "vérifiez qu'elle est allumée et sur le réseau.")
    for connection, _ in held:
        connection.close()
    jammed.close()


def test_addresses():
    assert parse_address("192.168.1.50") == ("192.168.1.50", 9100)
    assert parse_address("zebra.local:6101") == ("zebra.local", 6101)
    for bad in ("", "host:port", "host:70000"):
        with pytest.raises(LabelError):
            parse_address(bad)
