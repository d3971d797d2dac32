"""schemathesis against the served OpenAPI document: no generated request makes the service
fail (5xx), and no answer contradicts the document (status, content type, body schema).

Left out: ``positive_data_acceptance``, which expects every schema-valid body to succeed;
the service refuses some on rules no schema says (a schedule in the past, archiving with
end-to-end encryption), with the 400 problem the document lists."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from support.meetings import bearer, settings_for
from support.postgres import sqlalchemy_url

import anyvideo
from anyvideo.meetings.app import create_app


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    with ExitStack() as stack:
        if request.param == "sqlite":
            database = str(Path(tmp_path_factory.mktemp("schemathesis")) / "m.db")
        else:
            database = sqlalchemy_url(stack.enter_context(request.getfixturevalue("postgres").database()))
        video = stack.enter_context(anyvideo.connect("local", environ={}))
        yield create_app(settings_for(database), video=video)


# Each operation's cases are drawn by hypothesis from the document schemathesis loaded, one
# operation after another. Not through schemathesis' pytest plugin (``from_fixture``), whose
# lazy fixture reads a private attribute that pytest 9.2 no longer has.
def test_the_service_keeps_its_document(app: object) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
        def keeps_its_document(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=bearer(), excluded_checks=[checks.positive_data_acceptance])

        keeps_its_document()
