"""What Vonage accepts, checked before any request: each operation's
``provider_options``, and the SDK request models built from anyvideo's specs."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from vonage_utils.errors import VonageError
from vonage_video.models import (
    BroadcastHls,
    BroadcastOutputSettings,
    BroadcastRtmp,
    ComposedLayout,
    CreateArchiveRequest,
    CreateBroadcastRequest,
    SessionOptions,
)

from anyvideo.calls import allowed_options
from anyvideo.errors import InvalidRequest
from anyvideo.models import Layout, RecordingMode
from anyvideo.specs import CompositionSpec, RecordingSpec
from anyvideo_vonage import layouts
from anyvideo_vonage.errors import PROVIDER

__all__ = [
    "BROADCAST_DURATION",
    "COMPOSITION_OPTIONS",
    "RECORDING_OPTIONS",
    "ROOM_OPTIONS",
    "TOKEN_OPTIONS",
    "archive_request",
    "broadcast_request",
    "composed_layout",
    "json_body",
    "sdk_model",
    "session_options",
    "token_options",
]

M = TypeVar("M")

#: ``provider_options`` each operation accepts.
ROOM_OPTIONS = frozenset({"media_mode", "archive_mode", "location", "e2ee"})
TOKEN_OPTIONS = frozenset({"layout_classes"})
RECORDING_OPTIONS = frozenset({"stream_mode", "multi_archive_tag", "max_bitrate", "quantization_parameter"})
COMPOSITION_OPTIONS = frozenset({"dvr", "low_latency", "stream_mode", "multi_broadcast_tag", "max_bitrate"})
#: Broadcasts run from 1 minute to 10 hours.
BROADCAST_DURATION = (60, 36_000)
#: A broadcast streams to at most this many RTMP targets.
RTMP_TARGETS = 5


def session_options(options: Mapping[str, Any]) -> SessionOptions:
    """A session create's options from a room's ``provider_options``."""
    allowed_options(options, ROOM_OPTIONS, provider=PROVIDER)
    media_mode = options.get("media_mode", "routed")
    archive_mode = options.get("archive_mode", "manual")
    if media_mode not in ("routed", "relayed"):
        raise InvalidRequest("provider_options.media_mode", "must be 'routed' or 'relayed'")
    if archive_mode not in ("manual", "always"):
        raise InvalidRequest("provider_options.archive_mode", "must be 'manual' or 'always'")
    if archive_mode == "always" and media_mode == "relayed":
        raise InvalidRequest("provider_options.archive_mode", "a session archived always must be routed")
    location = options.get("location")
    if location is not None:
        try:
            ipaddress.ip_address(location)
        except ValueError:
            raise InvalidRequest("provider_options.location", "must be an IP address") from None
    e2ee = options.get("e2ee", False)
    if not isinstance(e2ee, bool):
        raise InvalidRequest("provider_options.e2ee", "must be true or false")
    if e2ee and media_mode != "routed":
        raise InvalidRequest("provider_options.e2ee", "end-to-end encryption needs a routed session")
    return SessionOptions(media_mode=media_mode, archive_mode=archive_mode, location=location, e2ee=e2ee or None)


def session_form(options: SessionOptions) -> dict[str, Any]:
    """A session create's form, as the SDK's ``create_session`` sends it."""
    form: dict[str, Any] = options.model_dump(by_alias=True, exclude_none=True)
    return form


def request_json(request: CreateArchiveRequest | CreateBroadcastRequest) -> dict[str, Any]:
    """An archive or broadcast start's JSON body, as the SDK's ``start_archive``/``start_broadcast`` send it."""
    body: dict[str, Any] = request.model_dump(by_alias=True, exclude_none=True)
    return body


def token_options(options: Mapping[str, Any]) -> list[str] | None:
    """The layout classes a token's ``provider_options`` give its connection's streams."""
    allowed_options(options, TOKEN_OPTIONS, provider=PROVIDER)
    classes = options.get("layout_classes")
    if classes is not None and (isinstance(classes, str) or not all(isinstance(c, str) and c for c in classes)):
        raise InvalidRequest("provider_options.layout_classes", "must be a list of class names")
    layouts.check_own_classes(classes or (), "provider_options.layout_classes")
    return list(classes) if classes else None


def archive_request(room_id: str, spec: RecordingSpec) -> CreateArchiveRequest:
    """The archive start that records ``spec``."""
    options = allowed_options(spec.provider_options, RECORDING_OPTIONS, provider=PROVIDER)
    if spec.max_duration is not None:
        raise InvalidRequest("max_duration", "vonage archives have no maximum duration; they stop at 4 hours")
    layout = composed_layout(spec.layout) if spec.layout is not None else None
    if spec.mode is not RecordingMode.COMPOSED:
        for name in ("max_bitrate", "quantization_parameter"):
            if options.get(name) is not None:
                raise InvalidRequest(f"provider_options.{name}", "applies to composed archives only")
    return sdk_model(
        CreateArchiveRequest,
        session_id=room_id,
        has_audio=spec.has_audio,
        has_video=spec.has_video,
        layout=layout,
        name=spec.name,
        output_mode=spec.mode.value,
        resolution=str(spec.resolution) if spec.resolution else None,
        stream_mode=options.get("stream_mode"),
        multi_archive_tag=options.get("multi_archive_tag"),
        max_bitrate=options.get("max_bitrate"),
        quantization_parameter=options.get("quantization_parameter"),
    )


def broadcast_request(room_id: str, spec: CompositionSpec) -> CreateBroadcastRequest:
    """The broadcast start that streams ``spec`` live."""
    options = allowed_options(spec.provider_options, COMPOSITION_OPTIONS, provider=PROVIDER)
    dvr, low_latency = bool(options.get("dvr")), bool(options.get("low_latency"))
    if (dvr or low_latency) and not spec.hls:
        raise InvalidRequest("provider_options", "dvr and low_latency are HLS settings: set hls=True")
    if dvr and low_latency:
        raise InvalidRequest("provider_options", "an HLS broadcast is either low-latency or has DVR, not both")
    max_duration = None
    if spec.max_duration is not None:
        max_duration = int(spec.max_duration)
        if not BROADCAST_DURATION[0] <= max_duration <= BROADCAST_DURATION[1]:
            raise InvalidRequest("max_duration", "vonage broadcasts run from 60 seconds to 10 hours")
    if len(spec.rtmp) > RTMP_TARGETS:
        raise InvalidRequest("rtmp", f"vonage broadcasts to at most {RTMP_TARGETS} RTMP targets")
    outputs = BroadcastOutputSettings(
        hls=BroadcastHls(dvr=dvr or None, low_latency=low_latency or None) if spec.hls else None,
        rtmp=[BroadcastRtmp(id=t.id, server_url=t.url, stream_name=t.stream_name) for t in spec.rtmp] or None,
    )
    manual = spec.stream_ids is not None or options.get("stream_mode") == "manual"
    return sdk_model(
        CreateBroadcastRequest,
        session_id=room_id,
        layout=composed_layout(spec.layout) if spec.layout is not None else None,
        max_duration=max_duration,
        outputs=outputs,
        resolution=str(spec.resolution) if spec.resolution else None,
        stream_mode="manual" if manual else options.get("stream_mode"),
        multi_broadcast_tag=options.get("multi_broadcast_tag"),
        max_bitrate=options.get("max_bitrate"),
    )


def composed_layout(layout: Layout) -> ComposedLayout:
    """The SDK's layout of a composed archive or a broadcast."""
    body = layouts.to_vonage(layout)
    return ComposedLayout(
        type=body["type"], stylesheet=body.get("stylesheet"), screenshare_type=body.get("screenshareType")
    )


def sdk_model(model: type[M], **fields: Any) -> M:
    """An SDK request model; its own checks (which anyvideo's mostly make first) fail as InvalidRequest."""
    try:
        return model(**{k: v for k, v in fields.items() if v is not None})
    except (ValidationError, VonageError) as exc:  # VonageError: the SDK models' own checks
        raise InvalidRequest("provider_options", f"vonage refuses these options: {_first_error(exc)}") from None


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        error = exc.errors()[0]
        return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
    return str(exc)


def json_body(model: BaseModel) -> dict[str, Any]:
    """An SDK request model as the JSON the provider reads."""
    return model.model_dump(exclude_none=True, by_alias=True, mode="json")
