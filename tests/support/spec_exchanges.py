"""Checking an emulator's exchanges against an OpenAPI 3.0 specification, for the APIs
beside the Video APIs (Vonage's Application API, Twilio's 2010 API…): each request's
operation must be in the spec, its JSON or form body fit the request schema, the
answer's status be one the operation lists, and a JSON answer fit its schema.

The same rules as the Video APIs' checkers (``tests/providers/*/emulator/conftest.py``):
``nullable`` becomes a ``null``-admitting type, ``oneOf`` is read as ``anyOf``, and
annotations are left out; ``$ref`` may point into another file beside the spec
(``common/common_errors.yml#/…``). Collect the exchanges with
:class:`support.specs.RecordsExchanges`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jsonschema_rs
import yaml

from anyvideo.testing.server import Request, Response

__all__ = ["SpecExchanges"]

_ANNOTATIONS = frozenset({"description", "example", "examples", "title", "default", "format"})


class SpecExchanges:
    """The operations of the spec at ``path`` whose paths start with ``under``, served at ``mount``
    (the spec's server path: Vonage's Application API writes ``/`` for ``/v2/applications``)."""

    def __init__(self, path: Path, *, under: str = "/", mount: str = "") -> None:
        self._folder = path.parent
        self._files: dict[str, Any] = {path.name: yaml.safe_load(path.read_text())}
        self._main = path.name
        self.operations: list[tuple[str, str, re.Pattern[str], dict[str, Any]]] = []
        for template, item in self._files[path.name]["paths"].items():
            if not template.startswith(under):
                continue
            served = (mount + template).rstrip("/") or "/"
            regex = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(served)) + "$")
            for method, operation in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    self.operations.append((method.upper(), served, regex, operation))

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        path = path.rstrip("/") or "/"
        for op_method, template, regex, operation in self.operations:
            if op_method == method and regex.match(path):
                return template, operation
        return None

    def problems(self, request: Request, response: Response) -> list[str]:
        """What is wrong with one exchange, by the spec."""
        found = self.operation(request.method, request.path)
        if found is None:
            return [f"{request.method} {request.path} is not an operation of the spec"]
        template, operation = found
        name = f"{request.method} {template} -> {response.status}"
        problems = self._request_problems(name, request, operation)
        answers = self._resolve(operation.get("responses", {}), self._main)
        answer = answers.get(str(response.status))
        if answer is None:
            return [*problems, f"{name}: status not in the spec ({', '.join(answers)})"]
        schema = (answer.get("content") or {}).get("application/json", {}).get("schema")
        if schema is None:
            if response.body:
                problems.append(f"{name}: the spec describes no body, the answer has one")
            return problems
        if not (response.headers.get("Content-Type") or "").startswith("application/json"):
            problems.append(f"{name}: Content-Type is {response.headers.get('Content-Type')!r}")
        body = json.loads(response.body)
        validator = jsonschema_rs.Draft7Validator(schema)
        problems += [f"{name}: {error.message} at {list(error.instance_path)}" for error in validator.iter_errors(body)]
        return problems

    def _request_problems(self, name: str, request: Request, operation: dict[str, Any]) -> list[str]:
        content = self._resolve(operation.get("requestBody", {}), self._main).get("content") or {}
        if not request.body:
            return []
        if "application/json" in content:
            schema = content["application/json"]["schema"]
            validator = jsonschema_rs.Draft7Validator(schema)
            body = json.loads(request.body)
            return [f"{name} request: {e.message} at {list(e.instance_path)}" for e in validator.iter_errors(body)]
        if "application/x-www-form-urlencoded" in content:
            known = set(content["application/x-www-form-urlencoded"]["schema"].get("properties", {}))
            sent = set(parse_qs(request.body.decode(), keep_blank_values=True))
            return [f"{name} request: {field} is not a parameter of the spec" for field in sorted(sent - known)]
        return [f"{name} request: the spec takes no body here"]

    def _file(self, name: str) -> Any:
        if name not in self._files:
            self._files[name] = yaml.safe_load((self._folder / name).read_text())
        return self._files[name]

    def _resolve(self, node: Any, file: str) -> Any:
        if isinstance(node, list):
            return [self._resolve(item, file) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target_file, _, pointer = node["$ref"].partition("#")
            target_file = target_file or file
            target: Any = self._file(target_file)
            for part in pointer.removeprefix("/").split("/"):
                target = target[part]
            return self._resolve(target, target_file)
        resolved: dict[str, Any] = {}
        for key, value in node.items():
            if key in _ANNOTATIONS or key.startswith("x-"):
                continue
            if key == "properties":
                resolved[key] = {prop: self._resolve(schema, file) for prop, schema in value.items()}
            else:
                resolved["anyOf" if key == "oneOf" else key] = self._resolve(value, file)
        if resolved.pop("nullable", False) and "type" in resolved:
            resolved["type"] = [resolved["type"], "null"]
        return resolved
