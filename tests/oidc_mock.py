"""A small offline OpenID Connect provider for the browser tests (127.0.0.1 only).

It offers discovery, an authorize endpoint that approves at once and redirects back with a code,
a token endpoint returning an RS256-signed ID token, the JWKS and userinfo. The user who logs in
next is whatever ``provider.user`` holds.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "workbench-test"


@dataclass
class MockProvider:
    """State of the running provider: its URL, signing key, next user and issued codes."""

    issuer: str
    key: RSAKey
    user: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    logins: int = 0

    @property
    def metadata_url(self) -> str:
        """The discovery document's URL, for Streamlit's ``server_metadata_url``."""
        return f"{self.issuer}/.well-known/openid-configuration"


def _handler(provider: MockProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output quiet
            return

        def _json(self, body: dict[str, Any], status: int = 200) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                base = provider.issuer
                self._json(
                    {
                        "issuer": base,
                        "authorization_endpoint": f"{base}/authorize",
                        "token_endpoint": f"{base}/token",
                        "jwks_uri": f"{base}/jwks",
                        "userinfo_endpoint": f"{base}/userinfo",
                        "response_types_supported": ["code"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "scopes_supported": ["openid", "email", "profile"],
                        "token_endpoint_auth_methods_supported": [
                            "client_secret_basic",
                            "client_secret_post",
                        ],
                    }
                )
            elif url.path == "/jwks":
                self._json({"keys": [provider.key.as_dict(private=False)]})
            elif url.path == "/authorize":
                code = secrets.token_urlsafe(16)
                provider.codes[code] = {
                    "nonce": query.get("nonce"),
                    "client_id": query.get("client_id"),
                }
                target = (
                    query["redirect_uri"]
                    + "?"
                    + urlencode({"code": code, "state": query.get("state", "")})
                )
                self.send_response(302)
                self.send_header("Location", target)
                self.end_headers()
            elif url.path == "/userinfo":
                self._json(dict(provider.user))
            else:
                self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:
            if urlparse(self.path).path != "/token":
                self._json({"error": "not_found"}, 404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            grant = provider.codes.pop(form.get("code", ""), None)
            if grant is None:
                self._json({"error": "invalid_grant"}, 400)
                return
            now = int(time.time())
            claims = {
                "iss": provider.issuer,
                "aud": grant["client_id"] or CLIENT_ID,
                "iat": now,
                "exp": now + 3600,
                **provider.user,
            }
            if grant["nonce"]:
                claims["nonce"] = grant["nonce"]
            header = {"alg": "RS256", "kid": provider.key.kid}
            provider.logins += 1
            self._json(
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "id_token": jwt.encode(header, claims, provider.key),
                }
            )

    return Handler


@contextmanager
def mock_oidc_provider(user: dict[str, Any]) -> Iterator[MockProvider]:
    """Run the provider on a free loopback port in a thread; yield its state."""
    key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    provider = MockProvider(
        issuer=f"http://127.0.0.1:{server.server_address[1]}", key=key, user=dict(user)
    )
    server.RequestHandlerClass = _handler(provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
