"""The account's phone numbers (REST API 2010: ``…/IncomingPhoneNumbers``): provisioned with
``PhoneNumber`` (any E.164 number is available here), their ``VoiceUrl`` asked what to do
when a phone calls them (:mod:`.calls`)."""

from __future__ import annotations

import email.utils
import functools
import threading
from datetime import datetime
from typing import Any

from anyvideo.testing.server import Request, Response, route
from anyvideo_twilio.emulator import errors, sids
from anyvideo_twilio.emulator.reactions import Reactions

__all__ = ["API_2010", "NumberRoutes", "Numbers", "rfc2822"]

#: Where the 2010 REST API's account resources are.
API_2010 = "/2010-04-01/Accounts/{AccountSid}"

_NUMBERS = API_2010 + "/IncomingPhoneNumbers"
#: What a number's ``POST`` may change, by parameter, and the field it sets.
_SETTABLE = {
    "FriendlyName": "friendly_name",
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
}


def rfc2822(moment: datetime | None) -> str | None:
    """The 2010 API's dates: ``Tue, 31 Aug 2010 20:36:28 +0000``."""
    return None if moment is None else email.utils.format_datetime(moment).replace("-0000", "+0000")


class Numbers:
    """The account's numbers, by number (``+15551234567``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_number: dict[str, dict[str, Any]] = {}

    def get(self, number: str) -> dict[str, Any] | None:
        with self.lock:
            return self.by_number.get(number)

    def by_sid(self, sid: str) -> dict[str, Any] | None:
        with self.lock:
            return next((entry for entry in self.by_number.values() if entry["sid"] == sid), None)


class NumberRoutes(Reactions):
    """``IncomingPhoneNumbers``: create, list, fetch, update, delete."""

    @functools.cached_property
    def numbers(self) -> Numbers:
        """The account's numbers."""
        return Numbers()

    def _number_account(self, request: Request) -> str:
        if request.params["AccountSid"] != self.creds.account_sid:
            raise errors.NOT_FOUND(path=request.path)
        return self.creds.account_sid

    @route("POST", _NUMBERS + ".json")
    def create_number(self, request: Request) -> Any:
        self._number_account(request)
        form = self.form(request)
        asked = form.text("PhoneNumber")
        if asked is None:
            raise errors.invalid("A PhoneNumber is required (the emulator provisions no number by AreaCode)")
        try:
            number = self.phones.check_number(asked)
        except ValueError:
            raise errors.invalid(f"PhoneNumber {asked} is not valid") from None
        now = self.clock.now()
        entry: dict[str, Any] = {
            "sid": sids.new_sid("PN"),
            "phone_number": number,
            "friendly_name": number,
            "date_created": now,
            "date_updated": now,
            **dict.fromkeys(_SETTABLE.values()),
            "voice_method": "POST",
            "sms_method": "POST",
        }
        self._set(entry, form)
        with self.numbers.lock:
            if number in self.numbers.by_number:
                raise errors.invalid(f"PhoneNumber {number} is already in the account")
            self.numbers.by_number[number] = entry
        return Response.json(self.number_json(entry), 201)

    @route("GET", _NUMBERS + ".json")
    def list_numbers(self, request: Request) -> Any:
        account = self._number_account(request)
        wanted = self.query(request).text("PhoneNumber")
        with self.numbers.lock:
            entries = [e for e in self.numbers.by_number.values() if wanted is None or e["phone_number"] == wanted]
        uri = f"/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json"
        return {
            "incoming_phone_numbers": [self.number_json(e) for e in entries],
            "end": max(len(entries) - 1, 0),
            "first_page_uri": f"{uri}?PageSize=50&Page=0",
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "start": 0,
            "uri": f"{uri}?PageSize=50&Page=0",
        }

    def _number(self, request: Request) -> dict[str, Any]:
        self._number_account(request)
        entry = self.numbers.by_sid(request.params["Sid"])
        if entry is None:
            raise errors.NOT_FOUND(path=request.path)
        return entry

    @route("GET", _NUMBERS + "/{Sid}.json")
    def fetch_number(self, request: Request) -> Any:
        return self.number_json(self._number(request))

    @route("POST", _NUMBERS + "/{Sid}.json")
    def update_number(self, request: Request) -> Any:
        entry = self._number(request)
        with self.numbers.lock:
            self._set(entry, self.form(request))
            entry["date_updated"] = self.clock.now()
        return self.number_json(entry)

    @route("DELETE", _NUMBERS + "/{Sid}.json")
    def delete_number(self, request: Request) -> Response:
        entry = self._number(request)
        with self.numbers.lock:
            self.numbers.by_number.pop(entry["phone_number"], None)
        return Response(204)

    @staticmethod
    def _set(entry: dict[str, Any], form: Any) -> None:
        for parameter, field in _SETTABLE.items():
            value = form.text(parameter)
            if value is not None:
                entry[field] = value.upper() if field.endswith("_method") else value

    def number_json(self, entry: dict[str, Any]) -> dict[str, Any]:
        """A number as the 2010 API writes it (``api.v2010.account.incoming_phone_number``)."""
        account = self.creds.account_sid
        return {
            **{field: entry.get(field) for field in _SETTABLE.values()},
            "account_sid": account,
            "address_sid": None,
            "address_requirements": "none",
            "api_version": "2010-04-01",
            "beta": False,
            "capabilities": {"voice": True, "sms": True, "mms": False, "fax": False},
            "date_created": rfc2822(entry["date_created"]),
            "date_updated": rfc2822(entry["date_updated"]),
            "identity_sid": None,
            "phone_number": entry["phone_number"],
            "origin": "twilio",
            "sid": entry["sid"],
            "sms_application_sid": None,
            "sms_fallback_method": "POST",
            "sms_fallback_url": None,
            "trunk_sid": None,
            "uri": f"/2010-04-01/Accounts/{account}/IncomingPhoneNumbers/{entry['sid']}.json",
            "voice_receive_mode": "voice",
            "voice_application_sid": None,
            "voice_caller_id_lookup": False,
            "emergency_status": "Inactive",
            "emergency_address_sid": None,
            "emergency_address_status": "unregistered",
            "bundle_sid": None,
            "status": "in-use",
            "type": "local",
        }
