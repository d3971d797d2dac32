"""Capabilities are explicit: every core Feature is declared or has a hint
saying why not and what instead (the capability matrix is generated from them)."""

from __future__ import annotations

import logging

import pytest
from support import REPO

from anyvideo import Feature
from anyvideo.plugins import Plugins
from anyvideo_twilio import TwilioBackend
from anyvideo_twilio.extensions import TwilioExtensions


@pytest.mark.parametrize("feature", list(Feature))
def test_every_feature_is_declared_or_explained(feature):
    declared = feature in TwilioBackend.features
    hint = TwilioBackend.feature_hints.get(feature)
    assert declared != bool(hint), f"{feature}: declared={declared}, hint={hint!r}"


def test_the_declared_features(video):
    assert video.features == {
        Feature.RECORDING,
        Feature.INDIVIDUAL_RECORDING,
        Feature.POST_HOC_COMPOSITION,
        Feature.MAX_PARTICIPANTS,
        Feature.RECORDING_RULES,
        Feature.SUBSCRIBE_RULES,
        Feature.COMPOSITION_HOOKS,
        Feature.EXTERNAL_STORAGE,
        Feature.PHONE_DIAL_OUT,
        Feature.PHONE_DIAL_IN,
        Feature.INVITATIONS,
    }


def test_the_live_streaming_hint_points_at_vonage():
    assert "Vonage broadcasts" in TwilioBackend.feature_hints[Feature.LIVE_STREAMING]


def test_the_backend_is_registered_through_the_entry_point():
    assert Plugins(environ={}).backends()["twilio"] is TwilioBackend


def test_every_extension_is_a_documented_method_and_in_the_docs():
    docs = (REPO / "docs" / "providers" / "twilio.md").read_text()
    declared = TwilioExtensions.declared()
    assert TwilioBackend.extensions_class is TwilioExtensions and declared
    for name, info in declared.items():
        assert info.summary and (info.feature is None or info.feature in TwilioBackend.features)
        assert name in docs, f"{name} is not in docs/providers/twilio.md"


def test_what_is_not_covered_says_how_to_reach_it():
    assert all("native" in why or "twilio." in why for why in TwilioBackend.not_covered.values())


def test_the_capability_matrix_lists_twilio():
    from anyvideo.capabilities import markdown

    page = markdown({"twilio": TwilioBackend})
    assert "## twilio" in page and "`set_recording_rules`" in page and "`start_transcriptions`" in page


def test_secrets_are_kept_out_of_the_sdk_log(video, twilio_emulator, caplog):
    secret = twilio_emulator.credentials["api_key_secret"]
    with caplog.at_level(logging.INFO, logger="twilio.http_client"):
        video.rooms.create("logged")
        logging.getLogger("twilio.http_client").info("debugging with %s", secret)
    assert caplog.records and secret not in caplog.text
