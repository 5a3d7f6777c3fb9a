"""What the web layer needs to issue certificates: the programme's identity from the
configuration, and the PDF response."""
from __future__ import annotations

from flask import Response, current_app

from inventory.certificate_pdf import Programme


def programme() -> Programme:
    config = current_app.config
    return Programme(config["PROGRAMME_NAME"], config.get("PROGRAMME_ADDRESS"), config.get("PROGRAMME_SIRET"),
                     config.get("PROGRAMME_CONTACT"))


def base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


def pdf_response(certificate) -> Response:
    return Response(certificate.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{certificate.number}.pdf"',
        "X-Certificate-Number": certificate.number,
        "X-Certificate-SHA256": certificate.pdf_sha256,
    })
