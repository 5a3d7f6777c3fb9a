"""Public verification of certificates: ``/verify/<code>`` (page) and ``/api/v1/verify/<code>``
(JSON). No login; no personal data: donor, counts, masked serials, results, and the hash."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request

from app.extensions import db
from inventory.representations import verification_json
from inventory.services.certificates import verify

blueprint = Blueprint("verify", __name__)


@blueprint.get("/api/v1/verify/<code>")
def verify_api(code: str):
    result = verify(db.session, code, sha256=request.args.get("sha256"))
    if result.certificate is None:
        return jsonify(genuine=False, message=f"Aucun certificat ne porte le code « {code} »."), 404
    return jsonify(result=verification_json(result))


@blueprint.route("/verify/<code>", methods=["GET", "POST"])
def verify_page(code: str):
    upload = request.files.get("file") if request.method == "POST" else None
    pdf = upload.read() if upload is not None and upload.filename else None
    result = verify(db.session, code, pdf=pdf)
    appbuilder = current_app.appbuilder
    page = render_template("rekonekt/verify.html", code=code, result=result, appbuilder=appbuilder,
                           base_template=appbuilder.base_template)
    return page, (200 if result.certificate is not None else 404)
