"""Twilio's API keys (REST API 2010-04-01, ``/2010-04-01/Accounts/{AccountSid}/Keys``) on the emulator.

Create (``POST …/Keys.json``, ``FriendlyName``; answered 201 with the key's
``secret``, the only time it is shown: ``api.v2010.account.new_key``), list
(``GET …/Keys.json``, paged as the 2010 API pages: ``keys``, ``page``,
``page_size``, ``uri``, ``first_page_uri``, ``next_page_uri`` …), fetch,
update (``FriendlyName``) and delete (204), as ``twilio_api_v2010.yaml`` says.
The SDK's ``client.api.v2010.accounts(sid).new_keys.create`` and ``.keys``
send exactly these.

Only the account's own credentials (account SID and auth token) manage keys:
Twilio's documentation says standard API keys reach every API but the
Accounts and Keys resources, so a key (the emulator's own or a made one) gets
the 401 here. A key made here authenticates every other request as the
emulator's own key does (Basic, its SID and secret) and signs access tokens
that join rooms; deleted, it is refused from then on.

Dates are RFC 2822 (``Mon, 13 Jun 2016 22:50:08 +0000``), as the spec's
``date-time-rfc-2822`` format and examples write them.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import attrs

from anyvideo.sim import Clock
from anyvideo.testing.server import Request, Response, route
from anyvideo_twilio.emulator import errors, sids
from anyvideo_twilio.emulator.auth import Credentials

__all__ = ["KEYS", "ApiKey", "ApiKeys", "KeyRoutes"]

#: The 2010 API's Keys paths.
KEYS = "/2010-04-01/Accounts/{account_sid}/Keys.json"
KEY = "/2010-04-01/Accounts/{account_sid}/Keys/{key_sid}.json"
_PAGE_SIZE = 50
_PAGE_SIZE_MAX = 1000
_NAME_MAX = 64


@attrs.frozen
class ApiKey:
    """One API key made through the API; its secret never appears in a ``repr``."""

    sid: str
    friendly_name: str
    secret: str = attrs.field(repr=False)
    date_created: datetime
    date_updated: datetime

    def json(self) -> dict[str, Any]:
        """``api.v2010.account.key``: the key without its secret."""
        return {
            "sid": self.sid,
            "friendly_name": self.friendly_name,
            "date_created": _rfc2822(self.date_created),
            "date_updated": _rfc2822(self.date_updated),
        }


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0)).replace("-0000", "+0000")


class ApiKeys:
    """The account's API keys made through the API, by SID (thread-safe)."""

    def __init__(self) -> None:
        self._by_sid: dict[str, ApiKey] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ApiKeys({len(self._by_sid)})"

    def get(self, sid: str) -> ApiKey | None:
        with self._lock:
            return self._by_sid.get(sid)

    def all(self) -> list[ApiKey]:
        """Every key, oldest first."""
        with self._lock:
            return list(self._by_sid.values())

    def put(self, key: ApiKey) -> None:
        with self._lock:
            self._by_sid[key.sid] = key

    def remove(self, sid: str) -> bool:
        with self._lock:
            return self._by_sid.pop(sid, None) is not None

    def secret_of(self, sid: str) -> str | None:
        key = self.get(sid)
        return None if key is None else key.secret

    def accepts(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header is Basic with one of these keys' SID and secret."""
        user, password = _basic(authorization)
        secret = self.secret_of(user) if user else None
        return secret is not None and hmac.compare_digest(password.encode(), secret.encode())


def _basic(authorization: str | None) -> tuple[str, str]:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password


class KeyRoutes:
    """The Keys routes, mixed into :class:`~anyvideo_twilio.emulator.TwilioEmulator`."""

    creds: Credentials
    api_keys: ApiKeys
    clock: Clock

    def _account_only(self, request: Request) -> None:
        """The account SID and auth token, for the account in the path; 401 / 404 otherwise."""
        user, password = _basic(request.header("Authorization"))
        is_account = hmac.compare_digest(user.encode(), self.creds.account_sid.encode()) & hmac.compare_digest(
            password.encode(), self.creds.auth_token.encode()
        )
        if not is_account:
            raise errors.AUTHENTICATE()
        if request.params["account_sid"] != self.creds.account_sid:
            raise errors.NOT_FOUND(path=request.path)

    def _key(self, request: Request) -> ApiKey:
        self._account_only(request)
        key = self.api_keys.get(request.params["key_sid"])
        if key is None:
            raise errors.NOT_FOUND(path=request.path)
        return key

    @staticmethod
    def _friendly_name(request: Request, default: str) -> str:
        values = request.form().get("FriendlyName")
        name = values[0] if values else default
        if len(name) > _NAME_MAX:
            raise errors.invalid(f"FriendlyName is too long: {_NAME_MAX} characters at most")
        return name

    @route("POST", KEYS)
    def _create_key(self, request: Request) -> Any:
        self._account_only(request)
        now = self.clock.now()
        key = ApiKey(
            sid=sids.new_sid(sids.API_KEY),
            friendly_name=self._friendly_name(request, ""),
            secret=secrets.token_urlsafe(24),
            date_created=now,
            date_updated=now,
        )
        self.api_keys.put(key)
        return Response.json({**key.json(), "secret": key.secret}, 201)

    @route("GET", KEYS)
    def _list_keys(self, request: Request) -> Any:
        self._account_only(request)
        size = _number(request, "PageSize", _PAGE_SIZE, 1, _PAGE_SIZE_MAX)
        page = _number(request, "Page", 0, 0, None)
        everything = self.api_keys.all()
        shown = everything[page * size : (page + 1) * size]
        base = f"/2010-04-01/Accounts/{self.creds.account_sid}/Keys.json"

        def uri(number: int) -> str:
            return f"{base}?PageSize={size}&Page={number}"

        more = (page + 1) * size < len(everything)
        return {
            "keys": [key.json() for key in shown],
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if more else None,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
            "page": page,
            "page_size": size,
            "start": page * size,
            "end": page * size + max(len(shown) - 1, 0),
            "uri": uri(page),
        }

    @route("GET", KEY)
    def _fetch_key(self, request: Request) -> Any:
        return self._key(request).json()

    @route("POST", KEY)
    def _update_key(self, request: Request) -> Any:
        key = self._key(request)
        updated = attrs.evolve(
            key, friendly_name=self._friendly_name(request, key.friendly_name), date_updated=self.clock.now()
        )
        self.api_keys.put(updated)
        return updated.json()

    @route("DELETE", KEY)
    def _delete_key(self, request: Request) -> Any:
        key = self._key(request)
        self.api_keys.remove(key.sid)
        return Response.empty(204)


def _number(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    value = request.arg(name)
    if value is None:
        return default
    if not value.isdigit() or int(value) < low or (high is not None and int(value) > high):
        raise errors.invalid(f"{name} must be a whole number from {low}" + (f" to {high}" if high else ""))
    return int(value)
