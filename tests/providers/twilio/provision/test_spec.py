"""The emulator's Keys against ``twilio_api_v2010.yaml``: every request the provisioner and the
SDK send, and every answer, fit the spec's Keys operations."""

from __future__ import annotations

from typing import Any

import pytest
from support.spec_exchanges import SpecExchanges
from support.specs import SPECS, RecordsExchanges
from twilio.base.exceptions import TwilioRestException

import anyvideo
from anyvideo.provisioning import provision
from anyvideo_twilio.emulator import TwilioEmulator


class CheckedTwilio(RecordsExchanges, TwilioEmulator):
    """Keeps its exchanges."""


@pytest.fixture
def checked() -> Any:
    with CheckedTwilio() as emulator:
        yield emulator


def test_every_keys_exchange_fits_the_spec(checked) -> None:
    spec = SpecExchanges(SPECS / "twilio_api_v2010.yaml", under="/2010-04-01/Accounts/{AccountSid}/Keys")
    account = {k: v for k, v in checked.backend_environment.items() if not k.startswith("TWILIO_API_KEY")}
    done = provision("twilio", name="clinic", public_url="https://clinic.example", environ=account)
    sid = done.settings["TWILIO_API_KEY_SID"]
    with anyvideo.connect(environ=account) as video:
        keys = video.native.api.v2010.accounts(account["TWILIO_ACCOUNT_SID"]).keys
        keys.list(page_size=1)
        keys(sid).fetch()
        keys(sid).update(friendly_name="renamed")
        keys(sid).delete()
        with pytest.raises(TwilioRestException):
            keys(sid).fetch()
    keys_only = [exchange for exchange in checked.exchanges if "/Keys" in exchange[0].path]
    statuses = {(request.method, response.status) for request, response in keys_only}
    assert {("POST", 201), ("GET", 200), ("POST", 200), ("DELETE", 204)} <= statuses
    # the spec lists no error answers: those are Twilio's error body, which the Video checker knows
    problems = [p for request, response in keys_only if response.status < 400 for p in spec.problems(request, response)]
    assert problems == []
