"""Fixtures of the Vonage emulator tests: a running :class:`VonageEmulator` over HTTPS whose every REST answer
is checked against ``vonage_video.yml`` when the test ends (see
:class:`VonageSpec`), the official SDK pointed at it, sessions, tokens and
browsers, and a receiver for callbacks.

Tests that need the provider's specification skip without it (``support.specs``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml
from support.receiver import Receiver
from support.specs import VONAGE_SAMPLES, VONAGE_SPEC, RecordsExchanges, needs_spec
from vonage import Auth, HttpClientOptions, Vonage
from vonage_video import Video
from vonage_video.models import SessionOptions, TokenOptions

from anyvideo.testing import RemoteClient
from anyvideo.testing.server import Request, Response
from anyvideo_vonage.emulator import VonageEmulator
from anyvideo_vonage.emulator.auth import ApplicationCredentials

# --- checking answers against the specification ----------------------------------


class VonageSpec:
    """The response schemas of ``vonage_video.yml``, for checking the emulator's answers.

    Rules the checker applies to the spec as published:

    - ``nullable: true`` becomes a ``null``-admitting type (OpenAPI 3.0 -> JSON Schema);
    - ``oneOf`` is read as ``anyOf``: the spec lists error bodies as ``oneOf``
      alternatives that any one body satisfies all of, which ``oneOf`` forbids;
    - the emulator's deliberate deviations (:data:`DEVIATIONS` and
      :data:`UNDOCUMENTED_STATUSES`, listed in ``anyvideo_vonage.emulator``)
      are allowed, and nothing else.
    """

    #: Schema changes for what the provider really answers: (path in the spec, change, why).
    DEVIATIONS: list[tuple[tuple[str, ...], dict[str, Any], str]] = [
        (
            ("components", "schemas", "Archive-Detail", "properties", "status"),
            {"enum": ["available", "expired", "failed", "paused", "started", "stopped", "uploaded", "deleted"]},
            "the SDK's ArchiveStatus has 'deleted'; a deleted archive is still returned",
        ),
        (
            ("components", "schemas", "Archive-Detail", "properties", "url"),
            {"nullable": True},
            "archive.json: 'url' is null until the archive is available, as the spec's description says",
        ),
        (
            ("components", "schemas", "Broadcast-Detail", "properties", "broadcastUrls"),
            {"nullable": True},
            "stop_broadcast.json: a stopped broadcast has 'broadcastUrls': null",
        ),
        (
            ("components", "schemas", "Broadcast-Detail", "properties", "streams", "items", "properties"),
            {"hasAudio": {"type": "boolean"}, "hasVideo": {"type": "boolean"}},
            "the SDK reads booleans; the spec writes string",
        ),
        (
            ("paths", "/v2/project/{application_id}/session/{session_id}/connection", "get", "responses", "200")
            + ("content", "application/json", "schema", "properties", "items", "items", "properties", "createdAt"),
            {"type": "integer"},
            "the spec's own example is a number",
        ),
        (
            ("components", "responses", "Audio-Connector-Started", "content", "application/json", "schema"),
            {"required": ["id", "connectionId"]},
            "audio_connector.json is {id, connectionId}; the spec requires a captionsId (copied from captions)",
        ),
    ]

    #: (operationId, status) answered although the spec does not list the status.
    UNDOCUMENTED_STATUSES = {
        ("session-create", 400),  # invalid session options
        ("session-create", 403),  # bad credentials
        ("get-archive-information", 404),
        ("delete-v2-project-application_id-archive-archive_id", 404),
        ("put-v2-project-application_id-archive-archive_id-layout", 404),
        ("get-broadcast-details", 404),
        ("put-v2-project-application_id-session-session_id-stream", 404),
        ("start-audio-connector-connection", 400),
        ("start-audio-connector-connection", 404),
    }

    def __init__(self, path: Path) -> None:
        spec = yaml.safe_load(path.read_text())
        for where, change, _ in self.DEVIATIONS:
            node = spec
            for key in where:
                node = node[key]
            node.update(change)
        self._spec = spec
        self.operations: list[tuple[str, str, re.Pattern[str], dict[str, Any]]] = []
        for template, item in spec["paths"].items():
            regex = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$")
            for method, operation in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    self.operations.append((method.upper(), template, regex, operation))

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """The path template and operation a request was for. The spec writes DTMF
        under ``/v2/projects/``, the SDK under ``/v2/project/``: both are that operation;
        so is the path with a trailing slash, which the provider takes."""
        path = path.rstrip("/") or path
        for candidate in (path, path.replace("/v2/project/", "/v2/projects/", 1)):
            for op_method, template, regex, operation in self.operations:
                if op_method == method and regex.match(candidate):
                    return template, operation
        return None

    def _resolve(self, node: Any) -> Any:
        """``node`` with every local ``$ref`` inlined, ``nullable`` and ``oneOf`` rewritten,
        and annotations (which JSON Schema would check as keywords) left out."""
        if isinstance(node, list):
            return [self._resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target: Any = self._spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return self._resolve(target)
        resolved = {}
        for key, value in node.items():
            if key in self._ANNOTATIONS or key.startswith("x-"):
                continue
            if key == "properties":  # names of properties, not keywords
                resolved[key] = {name: self._resolve(schema) for name, schema in value.items()}
            else:
                resolved["anyOf" if key == "oneOf" else key] = self._resolve(value)
        if resolved.pop("nullable", False) and "type" in resolved:
            resolved["type"] = [resolved["type"], "null"]
        return resolved

    _ANNOTATIONS = frozenset({"description", "example", "examples", "title", "default"})

    def problems(self, request: Request, response: Response) -> list[str]:
        """What is wrong with one answer, by the spec."""
        found = self.operation(request.method, request.path)
        if found is None:
            return [f"{request.method} {request.path} is not an operation of the spec"]
        template, operation = found
        name = f"{request.method} {template} -> {response.status}"
        answers = self._resolve(operation.get("responses", {}))
        answer = answers.get(str(response.status))
        if answer is None:
            if (operation["operationId"], response.status) in self.UNDOCUMENTED_STATUSES:
                return []
            return [f"{name}: status not in the spec ({', '.join(answers)})"]
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if schema is None or not response.body:
            return []
        problems = []
        if response.headers.get("Content-Type") != "application/json":
            problems.append(f"{name}: Content-Type is {response.headers.get('Content-Type')!r}")
        body = json.loads(response.body)
        problems += [f"{name}: {error.message} at {list(error.instance_path)}" for error in _errors(schema, body)]
        return problems


def _errors(schema: dict[str, Any], body: Any) -> list[jsonschema_rs.ValidationError]:
    return list(jsonschema_rs.Draft7Validator(schema).iter_errors(body))


@pytest.fixture(scope="session")
def vonage_spec() -> VonageSpec:
    needs_spec(VONAGE_SPEC)
    return VonageSpec(VONAGE_SPEC)


@pytest.fixture(scope="session")
def vonage_samples() -> dict[str, Any]:
    """The provider's real answers (``samples/vonage/*.json``), by file name."""
    needs_spec(VONAGE_SAMPLES)
    return {path.name: json.loads(path.read_text()) for path in sorted(VONAGE_SAMPLES.glob("*.json"))}


# --- the emulator and the SDK ---------------------------------------------------------


class CheckedVonageEmulator(RecordsExchanges, VonageEmulator):
    """A Vonage emulator whose REST exchanges are checked against the spec when the test ends."""


@pytest.fixture
def vonage_emulator_options() -> dict[str, Any]:
    """Extra constructor options; override in a test module to change them."""
    return {}


@pytest.fixture
def vonage_server(
    monkeypatch: pytest.MonkeyPatch,
    vonage_application: ApplicationCredentials,
    vonage_spec: VonageSpec,
    vonage_emulator_options: dict[str, Any],
) -> Iterator[CheckedVonageEmulator]:
    """A Vonage emulator over HTTPS; at the end, every answer it gave must match the spec."""
    options = {
        "tls": True,
        "processing_delay": 2,
        "application_id": vonage_application.application_id,
        "private_key": vonage_application.private_key,
        "api_key": vonage_application.api_key,
        "api_secret": vonage_application.api_secret,
        **vonage_emulator_options,
    }
    with CheckedVonageEmulator(**options) as running:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(running.ca_bundle))
        yield running
    problems = [p for request, response in running.exchanges for p in vonage_spec.problems(request, response)]
    assert not problems, "answers that do not match vonage_video.yml:\n" + "\n".join(problems)


@pytest.fixture
def vonage_sdk(vonage_server: CheckedVonageEmulator) -> Callable[..., Vonage]:
    """``vonage_sdk(**auth)``: the official SDK client pointed at the emulator, with
    ``Auth(**auth)`` (default: the emulator's application)."""

    def make(**auth: str) -> Vonage:
        credentials = auth or {k: vonage_server.credentials[k] for k in ("application_id", "private_key")}
        host = vonage_server.base_url.removeprefix("https://")
        # pool_maxsize bounds the SDK's retries of dropped connections
        return Vonage(Auth(**credentials), HttpClientOptions(video_host=host, pool_maxsize=3))

    return make


@pytest.fixture
def vonage_client(vonage_sdk: Callable[..., Vonage]) -> Vonage:
    return vonage_sdk()


@pytest.fixture
def vonage_video(vonage_client: Vonage) -> Video:
    """``vonage.Vonage(...).video``, talking to the emulator."""
    return vonage_client.video


@pytest.fixture
def vonage_session(vonage_video: Video) -> str:
    """A routed session's id."""
    return vonage_video.create_session(SessionOptions(media_mode="routed")).session_id


@pytest.fixture
def vonage_join(vonage_server: VonageEmulator, vonage_video: Video) -> Callable[..., RemoteClient]:
    """``vonage_join(session_id, identity="ann", **token_options)``: a browser joins with an SDK-made token."""

    def join(session_id: str, identity: str = "ann", **options: Any) -> RemoteClient:
        data = json.dumps({"identity": identity})
        token = vonage_video.generate_client_token(TokenOptions(session_id=session_id, connection_data=data, **options))
        return vonage_server.control.join(token.decode())

    return join


# --- callbacks ------------------------------------------------------------------------


@pytest.fixture
def vonage_receiver() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver
