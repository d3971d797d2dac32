"""Vonage's Application API v2 (``api.nexmo.com/v2/applications``) on the emulator.

Create, get, update, list and delete applications, with the account's API key
and secret as HTTP Basic credentials (``vonage_application.v2.yml``: the
``basicAuth`` scheme; the SDK's ``Application`` client sends ``auth_type='basic'``).
Bodies and answers are the spec's ``ApplicationResponse``: ``id``, ``name``,
``capabilities``, ``privacy``, ``keys.public_key`` and the HAL ``_links`` the
SDK reads; a list is ``ApplicationResponseCollection`` (``page_size``, ``page``,
``total_items``, ``total_pages``, ``_embedded.applications``, ``_links``).
Errors are the spec's problem documents (``type``, ``title``, ``detail``,
``instance``; 400 adds ``invalid_parameters``).

An application made here is real to the emulator: application JWTs and client
tokens signed with its private key are accepted by the Video API (checked
against the public key it was given; an updated key replaces it, and the old
one is refused from then on), its sessions belong to it, and the callbacks of
those sessions go to the URLs of its ``video`` capability. The saved spec
(Nov 2022) has no ``video`` capability; the newer one's ``VideoResponse``
has ``webhooks`` whose slots (``archive_status``, ``session_created``, …) are
each ``{"address": url, "active": bool}`` (``specs/WEBHOOKS.md``). The
capability is kept as given, like every other one: the spec leaves
``capabilities`` open.

The emulator's own application (its ``application_id``) is listed too. Its video
webhooks set through the API become the emulator's callback URLs (the
control API's ``/_emulator/vonage/callbacks``), one per kind: the first active
session-monitoring slot for ``session``, ``archive_status``, ``broadcast_status``
and ``render_status``; a new public key for it replaces the emulator's (whose
``credentials`` then still name the old private key). Deleting it takes it off
the list only: the emulator keeps serving it.

The API creates an application without a key too (it then makes a key pair and
answers its private key, the spec's ``keys.private_key``); the emulator does the
same.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import threading
import uuid
from collections.abc import Mapping
from typing import Any

import attrs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from anyvideo.testing.server import HttpError, Request, Response, route
from anyvideo_vonage.emulator.auth import ApplicationCredentials, new_private_key
from anyvideo_vonage.emulator.callbacks import CallbackSettings

__all__ = [
    "API",
    "VIDEO_WEBHOOKS",
    "Application",
    "ApplicationRoutes",
    "Applications",
    "callback_urls",
    "check_account",
]

#: Where the Application API is served.
API = "/v2/applications"
#: The video capability's webhook slots and the kind of callback the emulator sends to each
#: (session monitoring is one kind here: its event names which slot it goes to).
VIDEO_WEBHOOKS: dict[str, str] = {
    "session_created": "session",
    "session_destroyed": "session",
    "connection_created": "session",
    "connection_destroyed": "session",
    "stream_created": "session",
    "stream_destroyed": "session",
    "archive_status": "archive",
    "broadcast_status": "broadcast",
    "render_status": "render",
    "captions_status": "captions",
    "sip_call_created": "sip",
    "sip_call_updated": "sip",
    "sip_call_destroyed": "sip",
    "sip_call_mute_forced": "sip",
}
#: Which slot a session-monitoring event goes to.
_MONITORING_SLOTS = {
    "sessionCreated": "session_created",
    "sessionDestroyed": "session_destroyed",
    "connectionCreated": "connection_created",
    "connectionDestroyed": "connection_destroyed",
    "streamCreated": "stream_created",
    "streamDestroyed": "stream_destroyed",
}
#: The first slot of each other kind of callback.
_KIND_SLOTS = {kind: slot for slot, kind in reversed(VIDEO_WEBHOOKS.items()) if kind != "session"}
#: ``page_size``'s default and largest value (the spec's ``list-validation`` example: "must be between 1 and 100").
_PAGE_SIZE = 10
_PAGE_SIZE_MAX = 100
_ERRORS = "https://developer.nexmo.com/api-errors/application"


@attrs.define
class Application:
    """One application of the account."""

    id: str
    name: str
    public_key: str  # PEM, as uploaded
    capabilities: dict[str, Any] = attrs.field(factory=dict)
    privacy: dict[str, Any] = attrs.field(factory=lambda: {"improve_ai": True})

    def json(self) -> dict[str, Any]:
        """``ApplicationResponse`` with its key and links."""
        return {
            "id": self.id,
            "name": self.name,
            "keys": {"public_key": self.public_key},
            "capabilities": self.capabilities,
            "privacy": self.privacy,
            "_links": {"self": {"href": f"{API}/{self.id}"}},
        }


class Applications:
    """The account's applications, by id (thread-safe); ``primary`` is the emulator's own."""

    def __init__(self, primary: str) -> None:
        self.primary = primary
        self._by_id: dict[str, Application] = {}
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Applications({len(self._by_id)})"

    def public_key(self, application_id: str) -> rsa.RSAPublicKey | None:
        """The key an application's JWTs are checked with now, or ``None`` for an unknown id."""
        return self._keys.get(application_id)

    def get(self, application_id: str) -> Application | None:
        with self._lock:
            return self._by_id.get(application_id)

    def all(self) -> list[Application]:
        """Every application, oldest first."""
        with self._lock:
            return list(self._by_id.values())

    def put(self, application: Application, key: rsa.RSAPublicKey) -> None:
        with self._lock:
            self._by_id[application.id] = application
            self._keys[application.id] = key

    def remove(self, application_id: str) -> bool:
        with self._lock:
            self._keys.pop(application_id, None)
            return self._by_id.pop(application_id, None) is not None

    def callback_url(self, application_id: str, kind: str, payload: Mapping[str, Any]) -> str | None:
        """Where the application's video capability sends a callback of ``kind`` with ``payload``,
        or ``None`` (the slot is unset or inactive); ``KeyError`` if ``application_id`` is not one of these
        or is the emulator's own, whose callbacks go where its callback settings say."""
        application = self.get(application_id)
        if application is None or application_id == self.primary:
            raise KeyError(application_id)
        if kind == "session":
            slot = _MONITORING_SLOTS.get(str(payload.get("event")))
        else:
            slot = _KIND_SLOTS.get(kind)
        webhooks = (application.capabilities.get("video") or {}).get("webhooks") or {}
        hook = webhooks.get(slot) if slot else None
        if not isinstance(hook, dict) or not hook.get("address") or hook.get("active") is False:
            return None
        return str(hook["address"])


def callback_urls(capabilities: Mapping[str, Any]) -> dict[str, str | None]:
    """The emulator's callback URL of each kind that the video capability's webhooks say: the
    first active slot of the kind (``None``: none is set)."""
    webhooks = (capabilities.get("video") or {}).get("webhooks") or {}
    urls: dict[str, str | None] = dict.fromkeys(("session", "archive", "broadcast", "render"))
    for slot, kind in VIDEO_WEBHOOKS.items():
        hook = webhooks.get(slot)
        if kind in urls and urls[kind] is None and isinstance(hook, dict) and hook.get("active", True):
            address = hook.get("address")
            urls[kind] = address if isinstance(address, str) and address else None
    return urls


# --- answers -------------------------------------------------------------------------


def _problem(status: int, kind: str, title: str, detail: str, **extra: Any) -> HttpError:
    body = {"type": kind, "title": title, "detail": detail, "instance": uuid.uuid4().hex, **extra}
    return HttpError(status, detail, response=Response.json(body, status))


def _invalid(kind: str, name: str, reason: str) -> HttpError:
    return _problem(
        400,
        f"{_ERRORS}#{kind}",
        "Bad Request",
        "The request failed due to validation errors",
        invalid_parameters=[{"name": name, "reason": reason}],
    )


def unauthorized() -> HttpError:
    """The spec's ``BadCredentialsError``."""
    return _problem(
        401,
        "https://developer.nexmo.com/api-errors#unauthorized",
        "Invalid credentials supplied",
        "You did not provide correct credentials.",
    )


def _not_found(application_id: str) -> HttpError:
    return _problem(
        404,
        "https://developer.nexmo.com/api-errors#not-found",
        "Not Found",
        f"ID '{application_id}' does not exist, or you do not have access",
    )


def check_account(request: Request, account: ApplicationCredentials) -> None:
    """HTTP Basic with the account's API key and secret, else the spec's 401."""
    scheme, _, encoded = (request.header("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        raise unauthorized()
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise unauthorized() from None
    matches = hmac.compare_digest(user.encode(), account.api_key.encode()) & hmac.compare_digest(
        password.encode(), account.api_secret.encode()
    )
    if not matches:
        raise unauthorized()


def _load_public_key(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        raise _invalid("payload-validation", "keys.public_key", "must be a PEM public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise _invalid("payload-validation", "keys.public_key", "must be an RSA public key")
    return key


def _config(request: Request) -> dict[str, Any]:
    """A create or update body, checked as the spec's request schema says."""
    if "json" not in (request.header("Content-Type") or ""):
        raise _problem(
            415,
            "https://developer.nexmo.com/api-errors#content-type-header",
            "Unsupported Content-Type header",
            "Unsupported Content-Type header provided. Must be one of the following: 'application/json'",
        )
    try:
        body = request.json()
    except HttpError:
        raise _invalid("payload-validation", "body", "must be a JSON object") from None
    if not isinstance(body, dict):
        raise _invalid("payload-validation", "body", "must be a JSON object")
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise _invalid("payload-validation", "name", "must be a non-empty string")
    for field in ("keys", "capabilities", "privacy"):
        if body.get(field) is not None and not isinstance(body[field], dict):
            raise _invalid("payload-validation", field, "must be an object")
    for capability, settings in (body.get("capabilities") or {}).items():
        if not isinstance(settings, dict):
            raise _invalid("payload-validation", f"capabilities.{capability}", "must be an object")
    public_key = (body.get("keys") or {}).get("public_key")
    if public_key is not None and not isinstance(public_key, str):
        raise _invalid("payload-validation", "keys.public_key", "must be a string")
    return body


def _page(request: Request, name: str, default: int, highest: int | None = None) -> int:
    """A whole-number query parameter from 1 (to ``highest``), else the spec's ``list-validation`` 400."""
    value = request.arg(name)
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1 or (highest is not None and int(value) > highest):
        bounds = f"between 1 and {highest}" if highest is not None else "at least 1"
        raise _invalid("list-validation", name, f"must be {bounds}")
    return int(value)


# --- routes ------------------------------------------------------------------------------


class ApplicationRoutes:
    """The Application API's routes, mixed into :class:`~anyvideo_vonage.emulator.VonageEmulator`
    (which checks their Basic credentials before routing, in ``authenticate``)."""

    applications: Applications
    application: ApplicationCredentials
    callback_settings: CallbackSettings

    def _keep(self, application: Application, key: rsa.RSAPublicKey, *, key_changed: bool) -> None:
        """File the application; the emulator's own also takes its key and callback URLs from it."""
        self.applications.put(application, key)
        if application.id == self.applications.primary:
            self.application.public_key = key
            if "video" in application.capabilities:
                self.callback_settings.configure(callback_urls(application.capabilities))
        if key_changed:
            self.application.forget(application.id)

    @route("GET", API)
    def _list_applications(self, request: Request) -> Any:
        size = _page(request, "page_size", _PAGE_SIZE, _PAGE_SIZE_MAX)
        page = _page(request, "page", 1)
        everything = self.applications.all()
        pages = max(math.ceil(len(everything) / size), 1)
        shown = everything[(page - 1) * size : page * size]

        def link(number: int) -> dict[str, str]:
            return {"href": f"{API}?page_size={size}&page={number}"}

        links = {"self": link(page), "first": link(1), "last": link(pages)}
        if page > 1:
            links["prev"] = link(page - 1)
        if page < pages:
            links["next"] = link(page + 1)
        return {
            "page_size": size,
            "page": page,
            "total_items": len(everything),
            "total_pages": pages,
            "_embedded": {"applications": [application.json() for application in shown]},
            "_links": links,
        }

    @route("POST", API)
    def _create_application(self, request: Request) -> Any:
        body = _config(request)
        private_key = None
        public_pem = (body.get("keys") or {}).get("public_key")
        if public_pem is None:  # the platform makes the pair, and answers the private half once
            private_key = new_private_key()
            loaded = serialization.load_pem_private_key(private_key.encode(), password=None)
            assert isinstance(loaded, rsa.RSAPrivateKey)
            public_pem = (
                loaded.public_key()
                .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
                .decode()
            )
        key = _load_public_key(public_pem)
        application = Application(
            id=str(uuid.uuid4()),
            name=body["name"],
            public_key=public_pem,
            capabilities=dict(body.get("capabilities") or {}),
            privacy={"improve_ai": True, **(body.get("privacy") or {})},
        )
        self._keep(application, key, key_changed=False)
        answer = application.json()
        if private_key is not None:
            answer["keys"]["private_key"] = private_key
        return Response.json(answer, 201)

    @route("GET", API + "/{application_id}")
    def _get_application(self, request: Request) -> Any:
        return self._application(request.params["application_id"]).json()

    @route("PUT", API + "/{application_id}")
    def _update_application(self, request: Request) -> Any:
        """The body replaces the application's name, capabilities and privacy; a key given
        replaces its key, and what the old one signed is refused from then on."""
        application = self._application(request.params["application_id"])
        body = _config(request)
        public_pem = (body.get("keys") or {}).get("public_key") or application.public_key
        key = _load_public_key(public_pem)
        updated = attrs.evolve(
            application,
            name=body["name"],
            public_key=public_pem,
            capabilities=dict(body.get("capabilities") or {}),
            privacy={**application.privacy, **(body.get("privacy") or {})},
        )
        self._keep(updated, key, key_changed=public_pem != application.public_key)
        return updated.json()

    @route("DELETE", API + "/{application_id}")
    def _delete_application(self, request: Request) -> Any:
        application_id = request.params["application_id"]
        if not self.applications.remove(application_id):
            raise _not_found(application_id)
        if application_id != self.applications.primary:
            self.application.forget(application_id)
        return Response.empty(204)

    def _application(self, application_id: str) -> Application:
        application = self.applications.get(application_id)
        if application is None:
            raise _not_found(application_id)
        return application
