"""An API request's access token, verified once (issue 18).

flask-jwt-extended reads a token four times per request: decoded without verification (to
hand its claims to a decode-key callback Rekonekt does not use), its header read, decoded
again with verification, its header read again; and Flask-AppBuilder's ``protect()`` only
asks for it after a first permission check has failed without it. On the scan station's hot
path that was about 0.3 ms of a 2.75 ms request.

``authenticate_bearer`` runs before the endpoints of every Rekonekt API (``JsonApi``): a request
that carries ``Authorization: Bearer <JWT>`` and no signed-in browser session has its token
decoded and verified once (signature, expiry, issuer and audience as configured), then checked
as flask-jwt-extended checks it, with its own functions: an access token (not a refresh
token), not revoked (``token_in_blocklist_loader``: the account's token version), the
custom claims check, the account loaded (``user_lookup_loader``). The request is then
authenticated as ``verify_jwt_in_request()`` would leave it, and ``protect()`` finds the user at
its first look.

A scan station sends the same token for its 15 minutes: the header and claims of a token whose
signature held are kept in the process (per app, keyed by the whole token, signature included;
at most ``VERIFIED_TOKENS`` of them), so its next requests decode nothing. Only its expiry can
change with time, and it is checked again at every request (its start and issue times, checked
once, cannot become false later); revocation and the account are checked at every request.

A token this does not accept is left alone: ``protect()`` then runs flask-jwt-extended's own
verification, which refuses it with the same French answer as before (expired, invalid,
revoked, unknown account). Station tokens (``rkst_…``) are handled before, by
``app.station_tokens``.
"""
from __future__ import annotations

import time

import jwt
from flask import current_app, g, request
from flask_jwt_extended.config import config
from flask_jwt_extended.internal_utils import (
    custom_verification_for_token,
    has_user_lookup,
    user_lookup,
    verify_token_not_blocklisted,
    verify_token_type,
)
from flask_login import current_user

from app.station_tokens import looks_like_station_token

# Tokens kept verified per app process; past it, the memory is emptied and filled again.
VERIFIED_TOKENS = 10_000


def _bearer_token() -> str | None:
    """The token of a plain ``Authorization: Bearer <token>`` header, or None (anything else is
    left to flask-jwt-extended, which knows every form it accepts and refuses)."""
    if tuple(config.token_location) != ("headers",):
        return None
    value = request.headers.get(config.header_name, "")
    scheme, _, token = value.partition(" ")
    if scheme != config.header_type or not token or " " in token or "," in token:
        return None
    return token


def _decode(token: str) -> tuple[dict, dict]:
    """(header, claims) of a token whose signature, expiry, issuer and audience hold: one
    decode, with flask-jwt-extended's settings and defaults (``tokens._decode_jwt``); none for a
    token verified before in this app, whose expiry alone is checked again."""
    verified = current_app.extensions.setdefault("rekonekt_verified_tokens", {})
    known = verified.get(token)
    if known is not None:
        header, claims = known
        exp = claims.get("exp")        # as PyJWT checks it (api_jwt._validate_exp)
        if exp is not None and int(exp) <= time.time() - config.leeway:
            verified.pop(token, None)
            raise jwt.ExpiredSignatureError("Signature has expired")
        return header, dict(claims)
    complete = jwt.decode_complete(
        token, config.decode_key, algorithms=config.decode_algorithms, audience=config.decode_audience,
        issuer=config.decode_issuer, leeway=config.leeway,
        options={"verify_aud": config.decode_audience is not None, "verify_sub": config.verify_sub},
    )
    header, claims = complete["header"], complete["payload"]
    if config.identity_claim_key not in claims:
        raise jwt.InvalidTokenError("missing identity claim")
    claims.setdefault("type", "access")
    claims.setdefault("fresh", False)
    claims.setdefault("jti", None)
    if len(verified) >= VERIFIED_TOKENS:
        verified.clear()
    verified[token] = (header, dict(claims))
    return header, claims


def authenticate_bearer() -> None:
    """Before a Rekonekt API endpoint: authenticate the request by its access token, decoded
    once; leave any token it does not accept to ``protect()`` (see the module)."""
    if request.method in config.exempt_methods or g.get("station_token") is not None:
        return None
    token = _bearer_token()
    if token is None or looks_like_station_token(token.strip("'\"")) or current_user.is_authenticated:
        return None
    try:
        header, claims = _decode(token)
        verify_token_type(claims, refresh=False)
        verify_token_not_blocklisted(header, claims)
        custom_verification_for_token(header, claims)
        user = user_lookup(header, claims) if has_user_lookup() else None
    except Exception:  # noqa: BLE001 - any refusal is answered by flask-jwt-extended's own path
        return None
    if has_user_lookup() and user is None:
        return None
    # What verify_jwt_in_request() leaves in the request context for get_jwt(), current_user…
    g._jwt_extended_jwt_user = {"loaded_user": user}
    g._jwt_extended_jwt_header = header
    g._jwt_extended_jwt = claims
    g._jwt_extended_jwt_location = "headers"
    return None
