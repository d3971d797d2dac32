"""Fixtures of the Twilio emulator tests.

A running :class:`TwilioEmulator` on a clock the test moves by hand, whose
every REST answer is checked when the test ends: answers with a status the
spec documents are validated by schemathesis against ``twilio_video_v1.yaml``
(and must carry every property the spec lists), error answers must be
Twilio's error body. The official ``twilio`` SDK points at it through its
documented ``client.video.base_url``; ``TWILIO_REGION``/``TWILIO_EDGE`` are
removed for the test so the SDK keeps that URL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import yaml
from schemathesis import Response as CheckedResponse
from support.receiver import Receiver
from support.specs import TWILIO_SAMPLES, TWILIO_SPEC, RecordsExchanges, needs_spec
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VideoGrant
from twilio.rest import Client
from twilio.rest.video.v1 import V1

from anyvideo.sim import ManualClock
from anyvideo.testing import RemoteClient
from anyvideo.testing.server import Request, Response
from anyvideo_twilio.emulator import TwilioEmulator

#: Every Twilio error body has exactly these keys.
ERROR_KEYS = {"code", "message", "more_info", "status"}
#: Paths the emulator serves that the spec does not describe: media redirects and the signed media URLs.
UNDESCRIBED = ("/Media", "/media/")


# --- checking answers against the specification ----------------------------------


class TwilioSpec:
    """``twilio_video_v1.yaml``, loaded once, to check the emulator's answers with,
    with the emulator's deliberate deviations (:data:`DEVIATIONS`, listed in
    ``anyvideo_twilio.emulator``) allowed, and nothing else."""

    #: Schema changes for what the provider really answers: (path in the spec, change, why).
    DEVIATIONS: list[tuple[tuple[str, ...], dict[str, Any], str]] = [
        (
            ("components", "schemas", "video.v1.room.room_participant.room_participant_subscribe_rule")
            + ("properties", "rules", "items", "properties"),
            {name: {"nullable": True} for name in ("all", "publisher", "track", "kind", "priority")},
            "room_participant_subscribe_rule__*.json: a rule lists the filters it does not use as null",
        ),
    ]

    def __init__(self, path: Path) -> None:
        raw = yaml.safe_load(path.read_text())
        for where, change, _ in self.DEVIATIONS:
            node = raw
            for key in where:
                node = node[key]
            for name, extra in change.items():
                node[name] = {**node[name], **extra}
        self._raw = raw
        self.schema = schemathesis.openapi.from_dict(raw)

    def operation(self, method: str, path: str) -> Any:
        return self.schema.find_operation_by_path(method, path)

    def problems(self, request: Request, response: Response) -> list[str]:
        """What is wrong with one answer."""
        name = f"{request.method} {request.path} -> {response.status}"
        if response.status >= 400:
            body = json.loads(response.body)
            if set(body) != ERROR_KEYS or body["status"] != response.status:
                return [f"{name}: not a Twilio error body: {body}"]
            return []
        if response.status == 302:
            return [] if set(json.loads(response.body)) == {"redirect_to"} else [f"{name}: not a media redirect"]
        if any(part in request.path for part in UNDESCRIBED):
            return []
        operation = self.operation(request.method, request.path)
        if operation is None:
            return [f"{name}: not an operation of the spec"]
        checked = CheckedResponse(
            status_code=response.status,
            headers={key.lower(): [value] for key, value in response.headers.items()},
            content=response.body,
            request=requests.Request(request.method, request.url).prepare(),
            elapsed=0.0,
            verify=False,
        )
        try:
            operation.validate_response(checked)
        except Exception as failures:  # schemathesis raises a group of failures
            return [f"{name}: {failures}"]
        return [f"{name}: {problem}" for problem in self._missing(operation, response)]

    def _missing(self, operation: Any, response: Response) -> list[str]:
        """Properties the spec lists that the body lacks (the spec marks none required)."""
        schema = self._resolve(
            self._raw["paths"][operation.path][operation.method.lower()]["responses"][str(response.status)]
        )
        schema = schema.get("content", {}).get("application/json", {}).get("schema")
        if not schema or not response.body:
            return []
        body = json.loads(response.body)
        properties = schema.get("properties", {})
        missing = [f"missing {key!r}" for key in properties if key not in body]
        if "meta" not in properties:
            return missing  # a resource; its nested rule lists omit absent filters, as the samples show
        for key, prop in properties.items():
            if prop.get("type") == "array" and "properties" in prop.get("items", {}):
                for item in body.get(key) or []:
                    missing += [f"{key}[]: missing {k!r}" for k in prop["items"]["properties"] if k not in item]
        return missing

    def _resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target: Any = self._raw
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return self._resolve(target)
        return {key: self._resolve(value) for key, value in node.items()}


@pytest.fixture(scope="session")
def twilio_spec() -> TwilioSpec:
    needs_spec(TWILIO_SPEC)
    return TwilioSpec(TWILIO_SPEC)


@pytest.fixture(scope="session")
def twilio_samples() -> dict[str, Any]:
    """The SDK's own response samples (``samples/twilio/*.json``) by name, without ``.json``."""
    needs_spec(TWILIO_SAMPLES)
    return {path.stem: json.loads(path.read_text()) for path in sorted(TWILIO_SAMPLES.glob("*.json"))}


# --- the emulator and the SDK ---------------------------------------------------------


class CheckedTwilioEmulator(RecordsExchanges, TwilioEmulator):
    """A Twilio emulator whose REST exchanges are checked against the spec when the test ends."""

    def last_body(self, method: str, path_end: str = "") -> Any:
        """The JSON body of the latest ``method`` answer whose path ends with ``path_end``."""
        for request, response in reversed(self.exchanges):
            if request.method == method and request.path.endswith(path_end):
                return json.loads(response.body)
        raise LookupError(f"no {method} *{path_end} answered")


@pytest.fixture
def twilio_server(monkeypatch: pytest.MonkeyPatch, twilio_spec: TwilioSpec) -> Iterator[CheckedTwilioEmulator]:
    """A Twilio emulator on a hand-moved clock (recordings process for 30 s);
    at the end, every answer it gave must match the spec."""
    for variable in ("TWILIO_REGION", "TWILIO_EDGE"):
        monkeypatch.delenv(variable, raising=False)
    # Real time, so that tokens the SDK dates by the machine's clock are current.
    clock = ManualClock(datetime.now(UTC))
    with CheckedTwilioEmulator(clock=clock, processing_delay=30) as running:
        yield running
    problems = [p for request, response in running.exchanges for p in twilio_spec.problems(request, response)]
    assert not problems, "answers that do not match twilio_video_v1.yaml:\n" + "\n".join(problems)


@pytest.fixture
def twilio_clock(twilio_server: CheckedTwilioEmulator) -> ManualClock:
    assert isinstance(twilio_server.clock, ManualClock)
    return twilio_server.clock


@pytest.fixture
def twilio_sdk(twilio_server: CheckedTwilioEmulator) -> Callable[..., Client]:
    """``twilio_sdk(username, password)``: the official client pointed at the emulator
    (default: the emulator's API key, as Twilio recommends)."""

    def make(username: str | None = None, password: str | None = None) -> Client:
        creds = twilio_server.credentials
        client = Client(username or creds["api_key_sid"], password or creds["api_key_secret"], creds["account_sid"])
        client.video.base_url = twilio_server.base_url
        return client

    return make


@pytest.fixture
def twilio_client(twilio_sdk: Callable[..., Client]) -> Client:
    return twilio_sdk()


@pytest.fixture
def twilio_video(twilio_client: Client) -> V1:
    """``client.video.v1``, talking to the emulator."""
    return twilio_client.video.v1


@pytest.fixture
def twilio_token(twilio_server: CheckedTwilioEmulator) -> Callable[..., str]:
    """``twilio_token(identity, room)``: an access token as the SDK's ``AccessToken`` makes it."""

    def make(identity: str, room: str | None, *, ttl: int = 3600, secret: str | None = None) -> str:
        creds = twilio_server.credentials
        grant = VideoGrant(room=room)
        token = AccessToken(
            creds["account_sid"], creds["api_key_sid"], secret or creds["api_key_secret"], identity=identity, ttl=ttl
        )
        token.add_grant(grant)
        return token.to_jwt()

    return make


@pytest.fixture
def twilio_join(twilio_server: CheckedTwilioEmulator, twilio_token: Callable[..., str]) -> Callable[..., RemoteClient]:
    """``twilio_join(room, identity)``: a browser connects with an access token."""

    def join(room: str, identity: str = "ann") -> RemoteClient:
        return twilio_server.control.join(twilio_token(identity, room))

    return join


# --- callbacks ------------------------------------------------------------------------


@pytest.fixture
def twilio_receiver(twilio_server: CheckedTwilioEmulator) -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver
