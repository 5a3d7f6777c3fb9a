"""The API is described in the OpenAPI spec and browsable in Swagger UI, served locally."""
from __future__ import annotations

import re

from tests.helpers import bearer, login


def test_spec_lists_every_endpoint(client, session):
    spec = client.get("/api/v1/_openapi", headers=bearer(client, "technicien")).json
    paths = spec["paths"]
    for path, method in [
        ("/organisations", "get"), ("/sites", "get"), ("/collections", "post"), ("/devices", "post"),
        ("/devices/{asset_tag}", "get"), ("/devices/{asset_tag}/history", "get"),
        ("/devices/{asset_tag}/transition", "post"), ("/devices/{asset_tag}/erasures", "post"),
        ("/devices/{asset_tag}/grading", "post"), ("/scan", "post"),
    ]:
        assert method in paths["/api/v1" + path], path
    assert "DeviceIn" in spec["components"]["schemas"]
    assert paths["/api/v1/devices/{asset_tag}/transition"]["post"]["responses"]["409"]


def test_swagger_ui_is_served_from_local_files(client, session):
    login(client, "technicien")
    page = client.get("/swagger/v1").get_data(as_text=True)
    assert "swagger-ui-bundle.js" in page
    assert not re.search(r'(src|href)="https?://', page)
