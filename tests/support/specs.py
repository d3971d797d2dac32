"""Where the providers' specifications are, and an emulator that keeps its exchanges
for checking against them.

The specifications and sample bodies are in the repository (``specs/``, see
``specs/SOURCES.md``), except one: the Vonage Video spec 0.3.2
(``vonage_video.yml``), whose licence is not stated, is not vendored. It is
looked for in the folder ``ANYVIDEO_SPECS`` names, else in ``../shared/specs``
beside the clone; the tests that need it are skipped without it, with
:data:`UNLICENSED_SKIP` as their reason (``tests/conftest.py`` counts them in
one summary line). Every other file is the repository's own copy: a missing
one fails the test, it is not skipped.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from anyvideo.testing.server import CONTROL_PREFIX, Request, Response
from support import REPO

#: The vendored specifications and samples.
SPECS = REPO / "specs"
#: Where the specification that is not vendored is looked for.
UNLICENSED_SPECS = Path(os.environ.get("ANYVIDEO_SPECS") or REPO.parent / "shared" / "specs")

VONAGE_SPEC = UNLICENSED_SPECS / "vonage_video.yml"
VONAGE_SAMPLES = SPECS / "samples" / "vonage"
TWILIO_SPEC = SPECS / "twilio_video_v1.yaml"
TWILIO_SAMPLES = SPECS / "samples" / "twilio"

#: The specifications that are not in the repository (their licence is not stated).
UNLICENSED = frozenset({VONAGE_SPEC})
#: The reason a test that needs one of them is skipped without it.
UNLICENSED_SKIP = (
    f"needs {', '.join(sorted(p.name for p in UNLICENSED))}, whose licence is not stated (not vendored); "
    f"not in {UNLICENSED_SPECS}: set ANYVIDEO_SPECS to a folder that holds it"
)

#: Modules that asked :func:`spec_enum` for an enum of a missing unlicensed spec:
#: their empty parametrisations are skips for :data:`UNLICENSED_SKIP`.
absent_enums_in: set[str] = set()


def needs_spec(*paths: Path) -> None:
    """Skip the test unless every unlicensed file in ``paths`` (default: both providers'
    video specs) is there; a vendored one that is missing fails it."""
    for path in paths or (VONAGE_SPEC, TWILIO_SPEC):
        if path.exists():
            continue
        if path in UNLICENSED:
            pytest.skip(UNLICENSED_SKIP)
        pytest.fail(f"{path} is missing from the repository's specs/ (see specs/SOURCES.md)")


def load_spec(path: Path) -> Any:
    """The specification at ``path``, parsed; skips the test when an unlicensed one is absent."""
    needs_spec(path)
    return _parsed(path)


@functools.cache
def _parsed(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def spec_enum(path: Path, *keys: str) -> list[str]:
    """The ``enum`` at ``keys`` in the specification at ``path``. For an unlicensed spec
    that is absent: an empty list, and a test parametrised with it is skipped for
    :data:`UNLICENSED_SKIP` (``tests/conftest.py``)."""
    if not path.exists() and path in UNLICENSED:
        absent_enums_in.add(sys._getframe(1).f_globals["__name__"])
        return []
    node = _parsed(path)
    for key in keys:
        node = node[key]
    return list(node["enum"])


def sample_body(folder: Path, name: str) -> Any:
    """One of the provider's real bodies (``folder/name``)."""
    needs_spec(folder / name)
    return json.loads((folder / name).read_text())


class RecordsExchanges:
    """Mixed into an emulator: keeps every REST exchange (not the control API's) for checking against the spec."""

    exchanges: list[tuple[Request, Response]]

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[call-arg]
        self.exchanges = []

    def handle(self, request: Request) -> Response:
        response = super().handle(request)  # type: ignore[misc]
        if not request.path.startswith(CONTROL_PREFIX):
            self.exchanges.append((request, response))
        return response
