"""A network label printer for tests: listens on 127.0.0.1 and keeps what each connection sent
(one ZPL job per connection, as app/label_printing.py sends them). ``printed_barcodes`` draws
the Code 128 fields of a ZPL job as the printer would and reads them back with zbar, as a
scanner reads the label."""
from __future__ import annotations

import re
import socket
import threading
import time

from PIL import Image, ImageDraw

from labels.code128 import QUIET_MODULES, bars, modules
from tests.system_tools import zbar

# ^BY<module dots>,<ratio>,<height> then ^BC (Code 128) … ^FD<data>^FS, data hex-escaped by ^FH (_XX).
BARCODE_FIELD = re.compile(r"\^BY(\d+),[\d.]+,(\d+)\^BCN,\d*,[YN],[YN],[YN],[NUAD]?(\^FH)?\^FD(.*?)\^FS", re.S)


class FakePrinter:
    def __init__(self) -> None:
        self.jobs: list[str] = []
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.address = f"127.0.0.1:{self.server.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:      # closed
                return
            with connection:
                data = bytearray()
                while chunk := connection.recv(65536):
                    data.extend(chunk)
                self.jobs.append(data.decode())

    def wait(self, count: int, timeout: float = 5.0) -> list[str]:
        """The jobs once ``count`` have arrived (or what came within ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while len(self.jobs) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.jobs)

    def close(self) -> None:
        self.server.close()
        self.thread.join(timeout=5)


def printed_barcodes(zpl: str) -> list[str]:
    """What a scanner reads on the labels of a ZPL job: each Code 128 field drawn in printer dots
    (its ^BY module width and height, quiet zones included), then decoded by zbar. Skips when the
    system's zbar library is absent."""
    reader = zbar()
    found = []
    for module_dots, height, escaped, data in BARCODE_FIELD.findall(zpl):
        if escaped:
            data = re.sub(r"_([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), data)
        pattern, width, tall = modules(data), int(module_dots), int(height)
        image = Image.new("L", ((len(pattern) + 2 * QUIET_MODULES) * width, tall + 20), 255)
        draw = ImageDraw.Draw(image)
        for start, run in bars(pattern):
            left = (QUIET_MODULES + start) * width
            draw.rectangle([left, 10, left + run * width - 1, 10 + tall - 1], fill=0)
        found += [symbol.data.decode() for symbol in reader.decode(image, symbols=[reader.ZBarSymbol.CODE128])]
    return found
