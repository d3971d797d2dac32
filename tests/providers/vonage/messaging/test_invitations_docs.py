"""Every Python snippet of ``docs/invitations.md`` runs, in order, against the Vonage emulator."""

from __future__ import annotations

import re

import pytest
from support import REPO

from anyvideo_vonage.emulator import VonageEmulator

PAGE = REPO / "docs" / "invitations.md"


def test_the_snippets_run(monkeypatch: pytest.MonkeyPatch) -> None:
    snippets = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    assert len(snippets) == 2
    with VonageEmulator(tls=True) as emulator:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_bundle))
        key, secret = emulator.application.api_key, emulator.application.api_secret
        video = emulator.connect(api_key=key, api_secret=secret, message_sender="15550001111")
        names: dict = {"video": video}
        exec(snippets[0], names)
        assert "424242" in emulator.messages.sent()[0].text
        names["code"] = None
        start, check = snippets[1].split("# ...")[0], snippets[1].split("\n", 2)[2]
        exec(start, names)
        names["code"] = emulator.verifications[names["verification"].id].code
        exec(check, names)
        assert names["checked"].verified and names["token"]
