"""``/v1/RecordingSettings/Default`` and ``/v1/CompositionSettings/Default``:
external S3 storage and encryption for what the account records and composes.
New recordings and compositions take the settings in force when they start."""

from __future__ import annotations

import re
from typing import Any

from anyvideo.testing.server import Request, route
from anyvideo_twilio.emulator import errors
from anyvideo_twilio.emulator.params import Params
from anyvideo_twilio.emulator.reactions import Reactions
from anyvideo_twilio.emulator.state import Settings

__all__ = ["SettingsRoutes"]

_CREDENTIAL = re.compile(r"CR[0-9a-fA-F]{32}")


def _credential(form: Params, name: str) -> str | None:
    value = form.text(name)
    if value is not None and not _CREDENTIAL.fullmatch(value):
        raise errors.invalid(f"{name} must be a Credential SID (CR...)")
    return value


def parse_settings(form: Params) -> Settings:
    settings = Settings(
        friendly_name=form.text("FriendlyName", required=True),
        aws_credentials_sid=_credential(form, "AwsCredentialsSid"),
        aws_s3_url=form.url("AwsS3Url", error=lambda: errors.invalid("AwsS3Url is not a valid URL")),
        aws_storage_enabled=bool(form.boolean("AwsStorageEnabled", False)),
        encryption_key_sid=_credential(form, "EncryptionKeySid"),
        encryption_enabled=bool(form.boolean("EncryptionEnabled", False)),
    )
    # Storage and encryption cannot be switched on without what they need.
    if settings.aws_storage_enabled and not (settings.aws_credentials_sid and settings.aws_s3_url):
        raise errors.invalid("AwsStorageEnabled needs AwsCredentialsSid and AwsS3Url")
    if settings.encryption_enabled and not settings.encryption_key_sid:
        raise errors.invalid("EncryptionEnabled needs EncryptionKeySid")
    return settings


class SettingsRoutes(Reactions):
    @route("GET", "/v1/RecordingSettings/Default")
    def fetch_recording_settings(self, request: Request) -> dict[str, Any]:
        return self.site(request).settings("Recording", self.state.settings["recording"])

    @route("POST", "/v1/RecordingSettings/Default")
    def create_recording_settings(self, request: Request) -> dict[str, Any]:
        return self._replace(request, "recording")

    @route("GET", "/v1/CompositionSettings/Default")
    def fetch_composition_settings(self, request: Request) -> dict[str, Any]:
        return self.site(request).settings("Composition", self.state.settings["composition"])

    @route("POST", "/v1/CompositionSettings/Default")
    def create_composition_settings(self, request: Request) -> dict[str, Any]:
        return self._replace(request, "composition")

    def _replace(self, request: Request, kind: str) -> dict[str, Any]:
        settings = parse_settings(self.form(request))
        with self.state.lock:
            self.state.settings[kind] = settings
        return self.site(request).settings(kind.capitalize(), settings)
