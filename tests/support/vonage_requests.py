"""Requests to the Vonage Video REST API shaped as the official server SDKs send them,
in both credential modes, for tests against the emulator.

:class:`OpenTokProject` sends what the OpenTok server SDKs send for a project's API
key and secret: an ``X-OPENTOK-AUTH`` HS256 JWT (``iss`` = API key, ``ist`` =
"project", ``iat``, ``exp``, ``jti``), form-encoded session options, and client
tokens signed with the project secret (HS256 JWTs by default, or the older
``T1==`` form). :class:`ApplicationRequests` sends what the ``vonage`` SDK sends for
an application: a fresh RS256 JWT as a Bearer token, signed by the SDK itself.
Nonces are drawn from a seeded generator.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import time
from typing import Any
from urllib.parse import urlencode

import jwt
import requests

__all__ = ["ApplicationRequests", "OpenTokProject"]

_RANDOM = random.Random(15)


class OpenTokProject:
    """What an OpenTok server SDK sends for a project's API key and secret."""

    def __init__(self, base_url: str, api_key: str, api_secret: str) -> None:
        self.base_url, self.api_key, self.api_secret = base_url, api_key, api_secret

    def headers(self, *, json_body: bool = False) -> dict[str, str]:
        now = int(time.time())
        claims = {"ist": "project", "iat": now, "exp": now + 180, "iss": self.api_key, "jti": str(_RANDOM.random())}
        headers = {
            "User-Agent": "OpenTok-Python-SDK/3.10.0 python/3.11",
            "X-OPENTOK-AUTH": jwt.encode(claims, self.api_secret, algorithm="HS256"),
            "Accept": "application/json",
        }
        if json_body:
            headers["Content-Type"] = "application/json"
        return headers

    def post_form(self, path: str, form: dict[str, str]) -> requests.Response:
        return requests.post(self.base_url + path, data=form, headers=self.headers(), timeout=10)

    def post_json(self, path: str, body: dict[str, Any]) -> requests.Response:
        return requests.post(self.base_url + path, json=body, headers=self.headers(json_body=True), timeout=10)

    def get(self, path: str) -> requests.Response:
        return requests.get(self.base_url + path, headers=self.headers(), timeout=10)

    def create_session(self, **form: str) -> requests.Response:
        return self.post_form("/session/create", {"p2p.preference": "disabled", "archiveMode": "manual", **form})

    def session_id(self, **form: str) -> str:
        answer = self.create_session(**form)
        assert answer.status_code == 200, answer.text
        return str(answer.json()[0]["session_id"])

    def jwt_token(self, session_id: str, *, secret: str | None = None, **claims: Any) -> str:
        """A client token as the OpenTok SDKs mint it by default."""
        now = int(time.time())
        payload = {
            "session_id": session_id,
            "role": "publisher",
            "iat": now,
            "exp": now + 86400,
            "scope": "session.connect",
            "iss": self.api_key,
            "ist": "project",
            "nonce": _RANDOM.randint(0, 999999),
            **claims,
        }
        return jwt.encode(payload, secret or self.api_secret, algorithm="HS256", headers={"typ": "JWT"})

    def t1_token(self, session_id: str, *, secret: str | None = None, **fields: Any) -> str:
        """A client token in the older ``T1==`` form."""
        now = int(time.time())
        data = {
            "session_id": session_id,
            "create_time": now,
            "expire_time": now + 86400,
            "role": "publisher",
            "nonce": _RANDOM.randint(0, 999999),
            "initial_layout_class_list": "",
            **fields,
        }
        data_string = urlencode(data, True)
        sig = hmac.new((secret or self.api_secret).encode(), data_string.encode(), hashlib.sha1).hexdigest()
        signed = f"partner_id={self.api_key}&sig={sig}:{data_string}"
        return "T1==" + base64.b64encode(signed.encode()).decode()

    @property
    def project_id(self) -> str:
        """What goes into ``/v2/project/{…}``: the API key."""
        return self.api_key


class ApplicationRequests:
    """What the ``vonage`` SDK sends for an application: a fresh RS256 JWT as a Bearer token."""

    def __init__(self, base_url: str, project_id: str, client: Any) -> None:
        self.base_url, self.project_id, self._auth = base_url, project_id, client.http_client.auth

    def headers(self) -> dict[str, str]:
        return {"Authorization": self._auth.create_jwt_auth_string().decode(), "Accept": "application/json"}

    def post_form(self, path: str, form: dict[str, str]) -> requests.Response:
        return requests.post(self.base_url + path, data=form, headers=self.headers(), timeout=10)

    def post_json(self, path: str, body: dict[str, Any]) -> requests.Response:
        return requests.post(self.base_url + path, json=body, headers=self.headers(), timeout=10)

    def get(self, path: str) -> requests.Response:
        return requests.get(self.base_url + path, headers=self.headers(), timeout=10)
