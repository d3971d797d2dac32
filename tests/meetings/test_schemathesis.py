"""schemathesis against the served OpenAPI document: no generated request makes the service
fail (5xx), and no answer contradicts the document (status, content type, body schema).

Left out: ``positive_data_acceptance``, which expects every schema-valid body to succeed;
the service refuses some on rules no schema says (a schedule in the past, archiving with
end-to-end encryption), with the 400 problem the document lists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from support.meetings import bearer, settings_for

import anyvideo
from anyvideo.meetings.app import create_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    database = Path(tmp_path_factory.mktemp("schemathesis")) / "m.db"
    with anyvideo.connect("local", environ={}) as video:
        yield create_app(settings_for(str(database)), video=video)


schema = schemathesis.pytest.from_fixture("served_schema")


@pytest.fixture(scope="module")
def served_schema(app: object) -> object:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_service_keeps_its_document(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=bearer(), excluded_checks=[checks.positive_data_acceptance])
