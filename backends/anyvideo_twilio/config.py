"""The Twilio backend's settings: keyword arguments first, then the environment
given to :func:`anyvideo.connect` (never ``os.environ`` behind its back).

The endpoint is decided here and nowhere else: the ``twilio`` SDK would read
``TWILIO_REGION``/``TWILIO_EDGE`` from the process environment even when it is
handed an explicit one (an empty mapping is falsy, so it falls back), and a
region rewrites an IP base URL such as ``http://127.0.0.1:8090`` into a
hostname that does not exist. :func:`build_client` overrides both on the
client it makes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from anyvideo.calls import BackendSettings
from anyvideo.errors import ConfigurationError
from anyvideo.retry import POLICY_SETTINGS
from anyvideo.webhooks import CLOCK_SETTINGS

__all__ = ["CALLBACK_METHODS", "SETTINGS", "SWITCHES", "TwilioSettings", "build_client"]

#: Keyword settings and the environment variables they default to (``None``: keyword only).
SETTINGS = BackendSettings(
    "twilio",
    {
        "account_sid": "TWILIO_ACCOUNT_SID",
        "auth_token": "TWILIO_AUTH_TOKEN",
        "api_key_sid": "TWILIO_API_KEY_SID",
        "api_key_secret": "TWILIO_API_KEY_SECRET",
        "base_url": "TWILIO_VIDEO_BASE_URL",
        "region": None,
        "edge": None,
        "page_size": None,
        "status_callback": "TWILIO_STATUS_CALLBACK",
        "status_callback_method": None,
        "enforce_roles": "TWILIO_ENFORCE_ROLES",
        "message_sender": "TWILIO_MESSAGE_SENDER",
        # read by core, as for every backend (Registry.from_settings, policy_from_settings, limiter_from_settings)
        "registry": "ANYVIDEO_REGISTRY",
        **POLICY_SETTINGS,
        "rate": "ANYVIDEO_RATE_LIMIT",
        **CLOCK_SETTINGS,
    },
    # the names Twilio's own quickstarts and samples use for an API key
    aliases={"TWILIO_API_KEY_SID": ("TWILIO_API_KEY",), "TWILIO_API_KEY_SECRET": ("TWILIO_API_SECRET",)},
)
_READ_BY_CORE = ("registry", *POLICY_SETTINGS, "rate", *CLOCK_SETTINGS)

#: How Twilio may call a status callback.
CALLBACK_METHODS = ("POST", "GET")

_ACCOUNT = re.compile(r"AC[0-9a-fA-F]{32}")
_API_KEY = re.compile(r"SK[0-9a-fA-F]{32}")
_REGION = re.compile(r"[a-z]{2}[0-9]")
_EDGE = re.compile(r"[a-z][a-z-]*[a-z]")


@attrs.frozen
class TwilioSettings:
    """What the backend was configured with; secrets never appear in a ``repr``."""

    account_sid: str
    #: The account's auth tokens: the current one first (the REST API's, without an API key),
    #: then a previous one that may still sign callbacks while it is rotated out.
    auth_tokens: tuple[str, ...] = attrs.field(default=(), repr=False)
    api_key_sid: str | None = None
    api_key_secret: str | None = attrs.field(default=None, repr=False)
    #: The Video API's base URL (``https://video.twilio.com`` unless an emulator's).
    base_url: str | None = None
    #: Twilio's processing region and edge, only from keyword settings, never with ``base_url``.
    region: str | None = None
    edge: str | None = None
    #: Items per page when listing (Twilio's largest page of recordings and compositions is 100).
    page_size: int = 100
    #: The application's callback URL, given to every room and composition (and hook) the backend
    #: creates unless their own options name one; ``None``: no callbacks unless asked per object.
    status_callback: str | None = None
    #: How Twilio calls ``status_callback``.
    status_callback_method: str = "POST"
    #: Accept ``subscriber`` tokens and disconnect a subscriber that publishes, when its
    #: track-added callback arrives (Twilio tokens carry no role; see ``docs/providers/twilio.md``).
    enforce_roles: bool = False
    #: Who invitations come from unless the call says: a Twilio number (E.164).
    message_sender: str | None = None

    @property
    def auth_token(self) -> str | None:
        """The current auth token, if one is configured."""
        return self.auth_tokens[0] if self.auth_tokens else None

    @property
    def can_mint_tokens(self) -> bool:
        """Whether an API key (SID and secret) is configured: Twilio signs client tokens with one."""
        return bool(self.api_key_sid and self.api_key_secret)

    def default_callback(self, arguments: dict[str, Any]) -> None:
        """Give the configured ``status_callback`` to a room, composition or hook whose arguments name none."""
        if "status_callback" not in arguments and self.status_callback is not None:
            arguments["status_callback"] = self.status_callback
            arguments.setdefault("status_callback_method", self.status_callback_method)

    @classmethod
    def load(cls, settings: Mapping[str, Any], environ: Mapping[str, str]) -> TwilioSettings:
        """Settings from keywords, then ``environ``; :class:`ConfigurationError` names what is wrong."""
        values = {name: value for name, value in SETTINGS.load(settings, environ).items() if name not in _READ_BY_CORE}
        SETTINGS.require(values, "account_sid")
        tokens = values.pop("auth_token", None)
        if tokens is not None:
            tokens = (tokens,) if isinstance(tokens, str) else tokens
            if not isinstance(tokens, list | tuple) or not tokens or not all(isinstance(t, str) and t for t in tokens):
                raise ConfigurationError("auth_token must be a string, or a list of them while rotating")
            values["auth_tokens"] = tuple(tokens)
        if "enforce_roles" in values:
            values["enforce_roles"] = _switch(values["enforce_roles"], "enforce_roles")
            if values["enforce_roles"] and "auth_tokens" not in values:
                raise ConfigurationError(
                    "enforce_roles acts on Twilio's status callbacks, which only the auth_token verifies: "
                    "set auth_token (TWILIO_AUTH_TOKEN) too"
                )
        for name, value in values.items():
            if name not in ("page_size", "auth_tokens", "enforce_roles") and not isinstance(value, str):
                raise ConfigurationError(f"the twilio setting {name} must be a string")
        if not _ACCOUNT.fullmatch(values["account_sid"]):
            raise ConfigurationError("account_sid must be a Twilio account SID (AC followed by 32 hex digits)")
        has_key = "api_key_sid" in values or "api_key_secret" in values
        if has_key and not ("api_key_sid" in values and "api_key_secret" in values):
            raise ConfigurationError("api_key_sid and api_key_secret go together; one of them is missing")
        if "api_key_sid" in values and not _API_KEY.fullmatch(values["api_key_sid"]):
            raise ConfigurationError("api_key_sid must be a Twilio API key SID (SK followed by 32 hex digits)")
        if not has_key and "auth_tokens" not in values:
            raise ConfigurationError(
                "the twilio backend needs api_key_sid and api_key_secret (or TWILIO_API_KEY_SID and "
                "TWILIO_API_KEY_SECRET), or auth_token (or TWILIO_AUTH_TOKEN)"
            )
        if "base_url" in values:
            split = urlsplit(values["base_url"])
            if split.scheme not in ("http", "https") or not split.netloc or split.path.strip("/"):
                raise ConfigurationError("base_url must be a URL such as https://video.twilio.com, without a path")
            values["base_url"] = values["base_url"].rstrip("/")
            if "region" in values or "edge" in values:
                raise ConfigurationError("give base_url or region/edge, not both: base_url decides the endpoint")
        if "region" in values and not _REGION.fullmatch(values["region"]):
            raise ConfigurationError("region must be a Twilio region such as ie1 or au1")
        if "edge" in values and not _EDGE.fullmatch(values["edge"]):
            raise ConfigurationError("edge must be a Twilio edge location such as dublin or sydney")
        if "status_callback" in values:
            split = urlsplit(values["status_callback"])
            if split.scheme not in ("http", "https") or not split.netloc:
                raise ConfigurationError("status_callback must be an http(s) URL, such as https://example.com/twilio")
        if "status_callback_method" in values:
            method = values["status_callback_method"].upper()
            if method not in CALLBACK_METHODS:
                raise ConfigurationError("status_callback_method must be POST or GET")
            if "status_callback" not in values:
                raise ConfigurationError("status_callback_method needs status_callback (or TWILIO_STATUS_CALLBACK)")
            values["status_callback_method"] = method
        if "page_size" in values:
            size = values["page_size"]
            if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 100:
                raise ConfigurationError("page_size must be a whole number from 1 to 100")
        return cls(**values)


#: How a switch is written in the environment (any case); a keyword switch is a ``bool``.
SWITCHES = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _switch(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in SWITCHES:
        return SWITCHES[value.strip().lower()]
    raise ConfigurationError(f"the twilio setting {name} must be true or false (or 1/0, yes/no, on/off)")


def build_client(settings: TwilioSettings, http_client: TwilioHttpClient) -> Client:
    """The SDK client for ``settings``, sending through ``http_client``: an API key
    when there is one (it can also mint tokens), else the account's auth token."""
    user, password = (
        (settings.api_key_sid, settings.api_key_secret)
        if settings.can_mint_tokens
        else (settings.account_sid, settings.auth_token)
    )
    client = Client(
        user,
        password,
        settings.account_sid,
        region=settings.region,
        edge=settings.edge,
        http_client=http_client,
        environment={"ANYVIDEO": "twilio"},  # non-empty: an empty one would fall back to os.environ
    )
    # The SDK also reads TWILIO_REGION/TWILIO_EDGE from os.environ; only our settings decide.
    client.region = settings.region
    client.edge = settings.edge
    if settings.base_url is not None:
        client.video.base_url = settings.base_url
    return client
