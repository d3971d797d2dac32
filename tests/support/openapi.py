"""Any provider's OpenAPI document as a checker of an emulator's exchanges: each request's
body against the operation's request schema, each answer against its response schema
(schemathesis), for the specs whose paths sit under a server path (``prefix``: the
Voice API's ``/v1/calls``) as for those whose paths are whole."""

from __future__ import annotations

import copy
import json
import urllib.parse
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema_rs
import requests
import schemathesis
from schemathesis import Response as CheckedResponse

from anyvideo.testing.server import Request, Response
from support.specs import load_spec


class OpenApiChecker:
    """The operations of the spec at ``path``, served by an emulator under ``prefix``."""

    def __init__(
        self,
        path: Path,
        prefix: str = "",
        *,
        paths_as_uris: bool = False,
        deviations: Iterable[tuple[tuple[str, ...], Mapping[str, Any], str]] = (),
    ) -> None:
        """``deviations``: where the provider (and the spec's own examples) differ from the
        spec's schemas: (keys of a schema, keys to change in it (``None``: drop), why)."""
        self._raw = copy.deepcopy(load_spec(path))
        if paths_as_uris:
            _paths_as_uris(self._raw)
        for where, change, _ in deviations:
            node = self._raw
            for key in where:
                node = node[key]
            for key, value in change.items():
                if value is None:
                    node.pop(key, None)
                else:
                    node[key] = value
        self.name = path.name
        self.prefix = prefix
        self.schema = schemathesis.openapi.from_dict(self._raw)

    def covers(self, request: Request) -> bool:
        """Whether ``request`` is for an operation of this spec."""
        return request.path.startswith(self.prefix) and self._operation(request) is not None

    def _operation(self, request: Request) -> Any:
        return self.schema.find_operation_by_path(request.method, request.path.removeprefix(self.prefix) or "/")

    def problems(self, request: Request, response: Response) -> list[str]:
        """What is wrong with one exchange, by the spec: the request's body, then the answer."""
        name = f"{request.method} {request.path} -> {response.status}"
        operation = self._operation(request)
        if operation is None:
            return [f"{name}: not an operation of {self.name}"]
        found = self._request_problems(operation, request)
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
            found.append(f"{name}: {failures}")
        return found

    def _request_problems(self, operation: Any, request: Request) -> list[str]:
        body = self._resolve(
            self._raw["paths"][operation.path][operation.method.lower()].get("requestBody", {}).get("content", {})
        )
        if not body or not request.body:
            return []
        kind, content = next(iter(body.items()))
        schema = content.get("schema", {})
        if kind == "application/x-www-form-urlencoded":
            sent: Any = dict(urllib.parse.parse_qsl(request.body.decode(), keep_blank_values=True))
            known = set(schema.get("properties", {}))
            unknown = sorted(set(sent) - known)
            missing = sorted(set(schema.get("required", ())) - set(sent))
            return [f"{request.method} {request.path}: unknown parameter {p}" for p in unknown] + [
                f"{request.method} {request.path}: missing {p}" for p in missing
            ]
        sent = json.loads(request.body)
        validator = jsonschema_rs.Draft7Validator(schema)
        return [f"{request.method} {request.path}: {error.message}" for error in validator.iter_errors(sent)]

    def schema_at(self, *keys: str) -> dict[str, Any]:
        """The resolved schema at ``keys`` of the document (``"components", "schemas", name``)."""
        node: Any = self._raw
        for key in keys:
            node = node[key]
        resolved: dict[str, Any] = self._resolve(node)
        return resolved

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
        resolved = {key: self._resolve(value) for key, value in node.items() if not key.startswith("x-")}
        if resolved.pop("nullable", False) and "type" in resolved:
            resolved["type"] = [resolved["type"], "null"]
        return resolved


def _paths_as_uris(node: Any) -> None:
    """Let every ``…uri`` property the spec formats as a URI be a path: Twilio's 2010 spec says
    ``format: uri`` of ``uri``, ``first_page_uri`` …, and its own examples of them are paths
    (``/2010-04-01/Accounts/AC…/Calls.json``), as Twilio answers."""
    if isinstance(node, list):
        for item in node:
            _paths_as_uris(item)
    elif isinstance(node, dict):
        for name, value in node.get("properties", {}).items():
            if name.endswith("uri") and isinstance(value, dict) and value.get("format") == "uri":
                del value["format"]
        for value in node.values():
            _paths_as_uris(value)
