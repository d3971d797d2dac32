"""Provisioning a Vonage application (``anyvideo provision vonage``) through the
Application API v2, with the account's API key and secret (HTTP Basic, as the
SDK's ``Application`` client sends them).

Idempotent: the application is found by name (the first of that name) and
updated in place, or created. The RSA key pair is made here, with
``cryptography``; only the public key is uploaded. The private key is written
to the key file with mode 0600 and never replaced without ``rotate_key``: a key
file that exists is reused (its public half uploaded if the application lacks
it). Rotating writes the new key beside the old one first, uploads its public
half, then moves it into place, so a failed upload leaves the old key working.

Every webhook slot of the video capability points at anyvideo's webhook
endpoint (``{public_url}/webhooks/provider``); with ``phone``, the voice
capability's answer and event URLs do too. Other capabilities the application
has are kept as they are.

The SDK's ``ApplicationConfig`` model has no ``video`` capability (its pydantic
models drop it, in the request and in the answer), so create and update send
the body through the SDK's own HTTP client (same host, path and Basic auth as
``create_application``/``update_application``); finding by name uses
``list_applications``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from vonage import Auth, Vonage
from vonage_application import ListApplicationsFilter

from anyvideo import redaction
from anyvideo.calls import BackendSettings
from anyvideo.errors import ConfigurationError, InvalidRequest
from anyvideo.provisioning import Provisioned, ProvisionRequest
from anyvideo.retry import POLICY_SETTINGS, policy_from_settings
from anyvideo_vonage.backend import SDK_LOGGERS
from anyvideo_vonage.config import DEFAULT_VIDEO_HOST
from anyvideo_vonage.errors import translating
from anyvideo_vonage.transport import sdk_client, sdk_options

__all__ = ["SETTINGS", "VIDEO_WEBHOOKS", "point_callbacks", "provision"]

#: The account credentials provisioning reads, and where the API is.
SETTINGS = BackendSettings(
    "vonage",
    {
        "api_key": "VONAGE_API_KEY",
        "api_secret": "VONAGE_API_SECRET",
        "video_host": "VONAGE_VIDEO_HOST",
        **POLICY_SETTINGS,
    },
)
#: The video capability's webhook slots (the Application API's ``VideoResponse.webhooks``,
#: ``specs/WEBHOOKS.md``): session monitoring, archive, broadcast, captions, render, SIP.
VIDEO_WEBHOOKS = (
    "session_created",
    "session_destroyed",
    "connection_created",
    "connection_destroyed",
    "stream_created",
    "stream_destroyed",
    "archive_status",
    "broadcast_status",
    "captions_status",
    "render_status",
    "sip_call_created",
    "sip_call_updated",
    "sip_call_destroyed",
    "sip_call_mute_forced",
)
_API = "/v2/applications"
_PAGE_SIZE = 100
_KEY_BITS = 2048


def provision(request: ProvisionRequest) -> Provisioned:
    """Create or update the application ``request.name``; see the module docstring."""
    values = SETTINGS.load(request.settings, request.environ)
    SETTINGS.require(values, "api_key", "api_secret")
    host = values.get("video_host") or DEFAULT_VIDEO_HOST
    policy = policy_from_settings(
        {k: request.settings[k] for k in POLICY_SETTINGS if k in request.settings}, request.environ
    )
    key_file = request.key_file or Path(f"{_slug(request.name)}.key")
    with _account_client((values["api_key"], values["api_secret"]), host, policy.timeout) as client:
        return _provision(client, request, key_file, host)


def point_callbacks(
    application_id: str, url: str, *, account: tuple[str, str], video_host: str, timeout: tuple[float, float]
) -> bool:
    """Point every video callback of the application ``application_id`` at ``url`` (its other
    settings, and its key, kept), with the account's API key and secret; whether it changed."""
    with _account_client(account, video_host, timeout) as client:
        http = client.http_client
        current = http.get(http.api_host, f"{_API}/{application_id}", None, "basic")
        capabilities = current.get("capabilities") or {}
        wanted = _with_video(capabilities, url)
        if wanted == capabilities:
            return False
        body = {"name": current["name"], "capabilities": wanted}
        http.put(http.api_host, f"{_API}/{application_id}", body, "basic")
        return True


@contextmanager
def _account_client(account: tuple[str, str], video_host: str, timeout: tuple[float, float]) -> Iterator[Vonage]:
    """An SDK client with the account's API key and secret (kept out of the SDK's log lines),
    its errors anyvideo's, closed afterwards."""
    redaction.install(SDK_LOGGERS)
    redaction.register_secret(account[1])
    client = sdk_client(Auth(api_key=account[0], api_secret=account[1]), video_host, sdk_options(video_host, timeout))
    try:
        with translating():
            yield client
    finally:
        client.http_client._session.close()


def _provision(client: Vonage, request: ProvisionRequest, key_file: Path, host: str) -> Provisioned:
    http = client.http_client
    existing = _find(client, request.name)
    current = http.get(http.api_host, f"{_API}/{existing}", None, "basic") if existing else None
    public_key, pending = _key(request, key_file, current)
    body = {
        "name": request.name,
        "keys": {"public_key": public_key},
        "capabilities": _capabilities(request, (current or {}).get("capabilities") or {}),
    }
    try:
        if existing is None:
            answer = http.post(http.api_host, _API, body, "basic")
        else:
            answer = http.put(http.api_host, f"{_API}/{existing}", body, "basic")
    except BaseException:
        if pending is not None:
            pending.unlink(missing_ok=True)
        raise
    if pending is not None:
        os.replace(pending, key_file)
    settings = {
        "ANYVIDEO_BACKEND": "vonage",
        "VONAGE_APPLICATION_ID": str(answer["id"]),
        "VONAGE_PRIVATE_KEY": str(key_file.resolve()),
    }
    if host != DEFAULT_VIDEO_HOST:  # an emulator's, or another of Vonage's
        settings["VONAGE_VIDEO_HOST"] = host
    notes = [
        f"callbacks go to {request.webhook_url}; to check their signatures, give anyvideo the account's"
        " signature secret as VONAGE_SIGNATURE_SECRET (Vonage dashboard, API settings)",
    ]
    if pending is not None and current is not None:
        notes.append("the application's key was replaced: JWTs and tokens signed with the old one are refused now")
    raw = {key: value for key, value in answer.items() if key != "keys"}
    return Provisioned("vonage", f"application {answer['id']}", existing is None, settings, notes=tuple(notes), raw=raw)


def _find(client: Vonage, name: str) -> str | None:
    """The id of the first application called ``name``, or ``None``."""
    page: int | None = 1
    while page is not None:
        applications, page = client.application.list_applications(
            ListApplicationsFilter(page_size=_PAGE_SIZE, page=page)
        )
        for application in applications:
            if application.name == name:
                return str(application.id)
    return None


def _key(request: ProvisionRequest, key_file: Path, current: Mapping[str, Any] | None) -> tuple[str, Path | None]:
    """The public key to upload, and the new private key's file to move into place once
    it is (``None``: the key file is already the one)."""
    if key_file.exists() and not request.rotate_key:
        public_key = _public_half(key_file)
        uploaded = ((current or {}).get("keys") or {}).get("public_key")
        if uploaded is not None and _normal(uploaded) != _normal(public_key):
            raise InvalidRequest(
                "key_file",
                f"{key_file} is not the key of the application {request.name!r}: give its key file"
                " (--key-file), or rotate_key (--rotate-key) to replace the application's key with a new one",
            )
        return public_key, None
    if current is not None and not request.rotate_key:
        raise InvalidRequest(
            "key_file",
            f"the application {request.name!r} exists and its private key is not at {key_file}: give its key file"
            " (--key-file), or rotate_key (--rotate-key) to make a new key (the old one stops working)",
        )
    private = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
    pending = key_file.with_name(key_file.name + ".new")
    _write_private(pending, private)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return public.decode(), pending


def _write_private(path: Path, key: rsa.RSAPrivateKey) -> None:
    """Write ``key`` as PKCS#8 PEM to a new file only its owner can read."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a leftover of an interrupted rotation
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)


def _public_half(key_file: Path) -> str:
    try:
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):  # the parser's message could quote the file: not chained
        raise ConfigurationError(f"{key_file} is not a readable PEM private key without a passphrase") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(f"{key_file} is not an RSA private key (Vonage applications use RSA)")
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _normal(pem: str) -> str:
    return "".join(pem.split())


def _with_video(current: Mapping[str, Any], url: str) -> dict[str, Any]:
    """``current`` capabilities with every webhook of the video capability at ``url``."""
    capabilities = dict(current)
    video = dict(capabilities.get("video") or {})
    video["webhooks"] = {slot: {"address": url, "active": True} for slot in VIDEO_WEBHOOKS}
    capabilities["video"] = video
    return capabilities


def _capabilities(request: ProvisionRequest, current: Mapping[str, Any]) -> dict[str, Any]:
    """The application's capabilities with video (and voice, for phones) pointed at anyvideo."""
    hook = request.webhook_url
    capabilities = _with_video(current, hook)
    if request.phone:
        voice = dict(capabilities.get("voice") or {})
        voice["webhooks"] = {
            "answer_url": {"address": hook, "http_method": "POST"},
            "event_url": {"address": hook, "http_method": "POST"},
        }
        capabilities["voice"] = voice
    return capabilities


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "vonage-application"
