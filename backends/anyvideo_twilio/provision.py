"""Provisioning for Twilio (``anyvideo provision twilio``): a new API key, made with the
account's SID and auth token through the REST API 2010 (``…/Accounts/{sid}/Keys.json``,
the SDK's ``client.api.v2010.accounts(sid).new_keys.create``), and the settings an
application needs.

Twilio shows a key's secret only in the answer that creates it, so each run makes
a new key (named ``name``) and prints its secret this once; delete keys you no
longer use in the console or with ``client.api.v2010.accounts(sid).keys(sid).delete()``.

Twilio keeps no account-wide callback URL for Video: the status callback is a
parameter of each room (and composition) created. The settings printed say it to
the backend (``TWILIO_STATUS_CALLBACK``, anyvideo's webhook endpoint under the public
URL), which gives it to every room it creates. Phone participants need nothing
account-wide either: a number's voice URL is set on the number.
"""

from __future__ import annotations

from typing import Any

import attrs

from anyvideo import redaction
from anyvideo.errors import ConfigurationError, InvalidRequest
from anyvideo.provisioning import Provisioned, ProvisionRequest
from anyvideo.retry import POLICY_SETTINGS, Safety, policy_from_settings
from anyvideo_twilio.backend import SDK_LOGGERS
from anyvideo_twilio.config import TwilioSettings
from anyvideo_twilio.transport import Transport

__all__ = ["provision"]


def provision(request: ProvisionRequest) -> Provisioned:
    """Create an API key called ``request.name``; see the module docstring."""
    if request.rotate_key or request.key_file is not None:
        field = "rotate_key" if request.rotate_key else "key_file"
        raise InvalidRequest(
            field,
            "a Twilio API key is a SID and a secret, with no key pair to keep or rotate: each run makes a new"
            " key; delete the old one when the application uses the new",
        )
    loaded = TwilioSettings.load(request.settings, request.environ)
    if loaded.auth_token is None:
        raise ConfigurationError(
            "provisioning makes API keys, which only the account's credentials can: set TWILIO_ACCOUNT_SID"
            " and TWILIO_AUTH_TOKEN (an API key cannot make keys)"
        )
    # the account's own credentials, whatever key is configured
    settings = attrs.evolve(loaded, api_key_sid=None, api_key_secret=None)
    policy = policy_from_settings({k: request.settings[k] for k in POLICY_SETTINGS if k in request.settings}, {})
    redaction.install(SDK_LOGGERS)
    transport = Transport(settings, policy)
    try:
        account = transport.client.api.v2010.accounts(settings.account_sid)
        key: Any = transport.call(
            "create API key", lambda: account.new_keys.create(friendly_name=request.name), safety=Safety.UNSAFE
        )
    finally:
        transport.close()
    redaction.register_secret(str(key.secret))  # printed once, on purpose; never logged
    values = {
        "ANYVIDEO_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": settings.account_sid,
        "TWILIO_API_KEY_SID": str(key.sid),
        "TWILIO_API_KEY_SECRET": str(key.secret),
        "TWILIO_STATUS_CALLBACK": request.webhook_url,
    }
    if settings.base_url is not None:
        values["TWILIO_VIDEO_BASE_URL"] = settings.base_url
    notes = [
        "the key's secret is shown this once: Twilio never answers it again",
        "keep TWILIO_AUTH_TOKEN set in the application too: it verifies the signatures of Twilio's callbacks",
    ]
    if request.phone:
        notes.append(f"for dial-in, set your Twilio number's voice URL to {request.webhook_url}")
    return Provisioned(
        "twilio",
        f"API key {key.sid}",
        True,
        values,
        secret=frozenset({"TWILIO_API_KEY_SECRET"}),
        notes=tuple(notes),
        raw={"sid": key.sid, "friendly_name": key.friendly_name},
    )
