"""Where the Vonage face sends callbacks, and how it signs them.

An application sets one URL per kind, as in the dashboard's video
capability: ``session`` (session monitoring: session, connection and stream
created/destroyed), ``archive``, ``broadcast`` and ``render`` (Experience
Composer) status. Bodies are JSON. With a signature secret, each carries
``Authorization: Bearer <JWT>``, HS256 with that secret ("secure callbacks",
confirmed); the claims (``iat``, ``exp``, ``jti``, and ``payload_hash``, the
SHA-256 of the body as Vonage's Messages and Voice APIs send it) are not
confirmed for Video.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import jwt

from anyvideo.testing.callbacks import Callbacks

__all__ = ["CALLBACK_KINDS", "CallbackSettings"]

CALLBACK_KINDS = ("session", "archive", "broadcast", "render")
#: How long a callback's signature stays valid, in seconds.
_SIGNATURE_LIFETIME = 300


class CallbackSettings:
    """The application's callback URLs and signature secret."""

    def __init__(self, urls: Mapping[str, str] | None = None, signature_secret: str | None = None) -> None:
        self.urls: dict[str, str] = {}
        self.signature_secret: str | None = None
        self.configure({**(urls or {}), "signature_secret": signature_secret})

    def __repr__(self) -> str:
        return f"CallbackSettings(urls={self.urls!r}, signed={self.signature_secret is not None})"

    def configure(self, settings: Mapping[str, Any]) -> None:
        """Change the settings given: ``{"session": url, …, "signature_secret": secret}``. A key
        left out keeps its value; ``None`` (or ``""``) unsets it. So turning signing off is
        said (``"signature_secret": None``), never the side effect of changing a URL: an
        application that checks signatures refuses unsigned callbacks, and their events are lost."""
        unknown = set(settings) - {*CALLBACK_KINDS, "signature_secret"}
        if unknown:
            raise ValueError(f"unknown callback settings: {', '.join(sorted(unknown))}")
        for key, value in settings.items():
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{key} must be a string")
        urls = dict(self.urls)
        for kind in CALLBACK_KINDS:
            if kind in settings:
                if settings[kind]:
                    urls[kind] = settings[kind]
                else:
                    urls.pop(kind, None)
        self.urls = urls
        if "signature_secret" in settings:
            self.signature_secret = settings["signature_secret"] or None

    def describe(self) -> dict[str, Any]:
        """The settings without the secret."""
        return {**{kind: self.urls.get(kind) for kind in CALLBACK_KINDS}, "signed": self.signature_secret is not None}

    def send(self, callbacks: Callbacks, kind: str, payload: Mapping[str, Any], now: datetime) -> None:
        """Queue ``payload`` for the URL of ``kind``, if one is set, signed at ``now`` (the emulator's time)."""
        url = self.urls.get(kind)
        if url is not None:
            self.deliver(callbacks, url, payload, now)

    def deliver(self, callbacks: Callbacks, url: str, payload: Mapping[str, Any], now: datetime) -> None:
        """Queue ``payload`` for ``url``, signed at ``now`` when there is a secret."""
        body = json.dumps(payload).encode()
        callbacks.send(url, body, self.signed({"Content-Type": "application/json"}, body, now))

    def signed(self, headers: dict[str, str], body: bytes, now: datetime) -> dict[str, str]:
        """``headers`` and, with a signature secret, the ``Authorization`` that signs ``body`` at ``now``
        (callbacks and the Voice side's webhooks alike)."""
        if self.signature_secret is not None:
            # Signed at the emulator's time, as the platform signs at its own: a receiver judges
            # iat and exp by the same clock (anyvideo's by its webhook_clock setting).
            issued = int(now.timestamp())
            claims = {
                "iat": issued,
                "exp": issued + _SIGNATURE_LIFETIME,
                "jti": str(uuid.uuid4()),
                "payload_hash": hashlib.sha256(body).hexdigest(),
            }
            headers["Authorization"] = "Bearer " + jwt.encode(claims, self.signature_secret, algorithm="HS256")
        return headers
