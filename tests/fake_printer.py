"""A network label printer for tests: listens on 127.0.0.1 and keeps what each connection sent
(one ZPL job per connection, as app/label_printing.py sends them)."""
from __future__ import annotations

import socket
import threading


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

    def close(self) -> None:
        self.server.close()
        self.thread.join(timeout=5)
