"""A client of an emulator's control API: plays browsers and moves the clock,
over HTTP, so it works the same for an emulator in this process and for one
started by ``anyvideo emulator`` in another."""

from __future__ import annotations

import ipaddress
import os
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import attrs
import requests

from anyvideo.errors import (
    AnyVideoError,
    AuthenticationError,
    ConfigurationError,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
)
from anyvideo.models import AccessToken, StreamKind, VideoSource
from anyvideo.phone_numbers import e164
from anyvideo.voice import dtmf_digits

__all__ = ["EmulatorControl", "ReceivedSignal", "RemoteClient", "SettledClient", "SettledDevices"]

#: How long seeding may take: about a minute per 100,000 recordings on a slow machine.
SEED_TIMEOUT = 900.0

_ERRORS: dict[int, type[AnyVideoError]] = {401: AuthenticationError, 403: Forbidden, 404: NotFound, 409: Conflict}


class EmulatorControl:
    """The control API of the emulator at ``base_url`` (``ca_bundle``: its CA, for HTTPS)."""

    def __init__(self, base_url: str, *, ca_bundle: str | os.PathLike[str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = requests.Session()
        self._session.verify = os.fspath(ca_bundle) if ca_bundle else True

    def __repr__(self) -> str:
        return f"EmulatorControl({self.base_url!r})"

    @classmethod
    def for_backend(cls, base_url: str | None, backend: str) -> EmulatorControl:
        """The control API behind a backend configured with ``base_url``.

        Only an emulator serves one, and emulators listen on loopback only: a
        backend pointed anywhere else talks to the real provider, which is
        joined from its client SDKs (:class:`ConfigurationError`). HTTPS
        emulators are trusted through ``REQUESTS_CA_BUNDLE``, as the SDKs are.
        """
        host = urlsplit(base_url if base_url and "//" in base_url else f"//{base_url}").hostname
        if not base_url or not _is_loopback(host):
            raise ConfigurationError(
                f"the {backend} backend talks to a real platform; participants join from its client SDKs "
                "(only an anyvideo emulator, on 127.0.0.1, can play them)"
            )
        return cls(base_url if "//" in base_url else f"https://{base_url}")

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, *, timeout: float = 30) -> Any:
        """Send one request to the emulator's control API (``/_emulator`` + ``path``); its JSON answer.
        An error answer raises the matching anyvideo error (400: :class:`~anyvideo.InvalidRequest`).
        """
        answer = self._session.request(method, f"{self.base_url}/_emulator{path}", json=body, timeout=timeout)
        if answer.status_code >= 400:
            try:
                detail = answer.json()
                message = detail.get("message") or detail.get("error") or answer.text
            except ValueError:
                message = answer.text
            if answer.status_code == 400:
                raise InvalidRequest("request", str(message))
            raise _ERRORS.get(answer.status_code, AnyVideoError)(f"{answer.status_code}: {message}")
        return answer.json() if answer.content else None

    def join(self, token: str | AccessToken, room_id: str | None = None) -> RemoteClient:
        """Join as a browser would, with a client token the emulator verifies."""
        raw = token.token if isinstance(token, AccessToken) else token
        joined = self.call("POST", "/join", {"token": raw, "room": room_id})
        return RemoteClient(self, joined["participant_id"], joined["room_id"], joined["identity"])

    def advance(self, seconds: float) -> datetime:
        """Move the emulator's clock forward; processing that became due finishes."""
        return datetime.fromisoformat(self.call("POST", "/clock/advance", {"seconds": seconds})["now"])

    def seed_recordings(self, room_id: str, count: int, *, seconds: float = 1.0) -> dict[str, Any]:
        """Make ``count`` finished recordings of ``room_id`` at once, ``seconds`` each, as if
        the room had been recorded that long (each the provider's own kind of recording: an
        archive, a track recording, ...); the emulator writes them in batches, so memory does
        not grow with ``count``. Answers ``count``, ``first_id``, ``last_id``, the ``participant_id``
        and ``stream_id`` they captured, and ``store_bytes`` (the size of the emulator's store)."""
        body = {"room": room_id, "count": count, "seconds": seconds}
        seeded: dict[str, Any] = self.call("POST", "/recordings/seed", body, timeout=SEED_TIMEOUT)
        return seeded

    def callbacks(self) -> list[dict[str, Any]]:
        """Every callback delivered so far (after waiting for queued ones)."""
        delivered: list[dict[str, Any]] = self.call("GET", "/callbacks")
        return delivered

    def script_phone(self, number: str, *, answers: bool) -> None:
        """Whether the simulated phone at ``number`` (E.164) answers its calls from now on."""
        self.call("PUT", f"/phones/{e164(number)}", {"answers": answers})

    def call_in(self, caller: str, to: str) -> dict[str, Any]:
        """The phone at ``caller`` calls ``to``, a number of the account (both E.164); the call
        (``id``, ``status`` …) once the application's voice webhook has answered it."""
        answer: dict[str, Any] = self.call("POST", f"/phones/{e164(caller, 'caller')}/call", {"to": e164(to, "to")})
        return answer

    def send_dtmf(self, call_id: str, digits: str) -> dict[str, Any]:
        """The phone on ``call_id`` keys ``digits`` (checked first: ``0-9``, ``*``, ``#``); the call then."""
        answer: dict[str, Any] = self.call("POST", f"/calls/{call_id}/dtmf", {"digits": dtmf_digits(digits)})
        return answer

    def phone_calls(self) -> list[dict[str, Any]]:
        """Every simulated call, oldest first."""
        calls: list[dict[str, Any]] = self.call("GET", "/calls")
        return calls

    def set_faults(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Replace the fault rules (see :meth:`anyvideo.testing.faults.Faults.configure`)."""
        configured: dict[str, Any] = self.call("PUT", "/faults", spec)
        return configured

    def clear_faults(self) -> None:
        """Remove every fault injected so far."""
        self.call("DELETE", "/faults")


@attrs.frozen
class ReceivedSignal:
    """A signal as the client that received it saw it."""

    type: str
    data: str
    sent_at: datetime


class RemoteClient:
    """One browser connected to an emulated room."""

    def __init__(self, control: EmulatorControl, participant_id: str, room_id: str, identity: str) -> None:
        self._control = control
        self.participant_id = participant_id
        self.room_id = room_id
        self.identity = identity

    def __repr__(self) -> str:
        return f"RemoteClient(identity={self.identity!r}, participant_id={self.participant_id!r})"

    def publish(
        self,
        kind: StreamKind = StreamKind.AUDIO_VIDEO,
        *,
        name: str | None = None,
        video_source: VideoSource | None = None,
    ) -> str:
        """Publish a stream (or track); returns its id."""
        body = {"kind": kind.value, "name": name, "video_source": video_source and video_source.value}
        stream_id: str = self._control.call("POST", f"/participants/{self.participant_id}/publish", body)["stream_id"]
        return stream_id

    def unpublish(self, stream_id: str) -> None:
        """Stop publishing the stream, as the browser would."""
        self._control.call("POST", f"/streams/{stream_id}/unpublish")

    def signals(self) -> list[ReceivedSignal]:
        """Every signal this client has received, oldest first."""
        received = self._control.call("GET", f"/participants/{self.participant_id}/signals")
        return [ReceivedSignal(s["type"], s["data"], datetime.fromisoformat(s["sent_at"])) for s in received]

    def leave(self) -> None:
        """Leave the room, as the browser would."""
        self._control.call("POST", f"/participants/{self.participant_id}/leave")


class SettledDevices:
    """Client devices on an emulator whose every action returns only once the callbacks
    it caused were delivered (and answered).

    An application that learns what happens in its rooms from the provider's
    callbacks (some providers tell who joined, with which identity, only
    there) knows it only after delivery; with these devices a test can ask
    the application right after the action, with no polling.
    A drop-in for :class:`EmulatorControl` where a conformance ``Platform``
    wants ``devices``.
    """

    def __init__(self, control: EmulatorControl) -> None:
        self.control = control

    def __repr__(self) -> str:
        return f"SettledDevices({self.control.base_url!r})"

    def join(self, token: str | AccessToken, room_id: str | None = None) -> SettledClient:
        """Join as :meth:`EmulatorControl.join` does, once the callbacks it causes are delivered."""
        client = self.control.join(token, room_id)
        self.control.callbacks()
        return SettledClient(self.control, client.participant_id, client.room_id, client.identity)


class SettledClient(RemoteClient):
    """A browser joined through :class:`SettledDevices`: each action waits for its callbacks."""

    def publish(
        self,
        kind: StreamKind = StreamKind.AUDIO_VIDEO,
        *,
        name: str | None = None,
        video_source: VideoSource | None = None,
    ) -> str:
        stream_id = super().publish(kind, name=name, video_source=video_source)
        self._control.callbacks()
        return stream_id

    def unpublish(self, stream_id: str) -> None:
        """Stop publishing the stream, once the callbacks it causes are delivered."""
        super().unpublish(stream_id)
        self._control.callbacks()

    def leave(self) -> None:
        """Leave the room, once the callbacks it causes are delivered."""
        super().leave()
        self._control.callbacks()


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
