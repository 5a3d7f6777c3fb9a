"""Sending ZPL straight to a network label printer (raw TCP, usually port 9100)."""
from __future__ import annotations

import socket

from labels.errors import LabelError

DEFAULT_PORT = 9100


def parse_address(address: str) -> tuple[str, int]:
    """``host`` or ``host:port`` → (host, port). Raises LabelError."""
    address = (address or "").strip()
    if not address:
        raise LabelError("Aucune imprimante réseau n'est configurée pour ce poste (adresse hôte:port).", field="printer")
    host, _, port = address.rpartition(":") if ":" in address else (address, "", str(DEFAULT_PORT))
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise LabelError(f"Adresse d'imprimante invalide « {address} » : hôte:port attendu (par exemple 192.168.1.50:9100).",
                         field="printer")
    return host, int(port)


def send(address: str, zpl: str, *, timeout: float = 5.0) -> int:
    """Send ZPL to the printer; returns the bytes sent. Never hangs longer than ``timeout``
    seconds. Raises LabelError with a French message when the printer cannot be reached."""
    host, port = parse_address(address)
    data = zpl.encode("utf-8")
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.settimeout(timeout)
            connection.sendall(data)
    except socket.timeout:
        raise LabelError(f"L'imprimante {host}:{port} ne répond pas (délai de {timeout:g} s dépassé) : "
                         "vérifiez qu'elle est allumée et sur le réseau.", field="printer") from None
    except OSError as exc:
        raise LabelError(f"Imprimante {host}:{port} injoignable ({exc.strerror or exc}) : vérifiez l'adresse et le réseau.",
                         field="printer") from None
    return len(data)
