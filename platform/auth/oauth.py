"""OAuth2 for machine clients (Authlib): the client-credentials grant at `/oauth/token`
on a tenant's host, and bearer-token protection for the API.

Both sides run with the tenant bound from the host, so a client id or a token of another
tenant is simply not found. Tokens are stored only as their SHA-256.
"""

from __future__ import annotations

import os
import time

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Blueprint, abort, g
from sqlalchemy import select

from singlewindow.platform.api.errors import ApiError
from singlewindow.platform.auth.models import OAuthClient, OAuthToken, hash_secret
from singlewindow.platform.extensions import db


def _query_client(client_id: str) -> OAuthClient | None:
    if g.get("tenant") is None:
        return None
    client = db.session.execute(
        select(OAuthClient).where(OAuthClient.client_id == client_id)
    ).scalar_one_or_none()
    return client if client is not None and client.active else None


def _save_token(token: dict, request) -> None:
    db.session.add(OAuthToken(
        token_hash=hash_secret(token["access_token"]),
        client_ref=request.client.id,
        scope=token.get("scope", ""),
        issued_at=int(time.time()),
        expires_in=int(token.get("expires_in", 3600)),
    ))
    db.session.commit()


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class _HashedBearerValidator(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> OAuthToken | None:
        if g.get("tenant") is None:
            return None
        return db.session.execute(
            select(OAuthToken).where(OAuthToken.token_hash == hash_secret(token_string))
        ).scalar_one_or_none()


class _Protector(ResourceProtector):
    """Token errors in the API's own error shape (and the standard WWW-Authenticate)."""

    def raise_error_response(self, error):
        headers = dict(error.get_headers())
        raise ApiError(error.status_code, error.error,
                       error.get_error_description() or "a valid bearer token is required",
                       headers=headers)


authorization = AuthorizationServer(query_client=_query_client, save_token=_save_token)
require_oauth = _Protector()
require_oauth.register_token_validator(_HashedBearerValidator())

bp = Blueprint("oauth", __name__)


@bp.post("/oauth/token")
def issue_token():
    if g.get("tenant") is None:
        abort(404)
    return authorization.create_token_response()


def init_app(app) -> None:
    if app.config.get("OAUTH2_ALLOW_HTTP"):
        # Authlib reads this switch from the environment only; set for loopback domains.
        os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    authorization.init_app(app)
    authorization.register_grant(ClientCredentialsGrant)
    app.register_blueprint(bp)
