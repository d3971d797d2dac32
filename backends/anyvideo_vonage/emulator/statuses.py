"""Vonage Video's vocabulary, as data: statuses, enums and limits from
``vonage_video.yml`` (0.3.2) and the provider's documentation."""

from __future__ import annotations

from anyvideo.models import CompositionStatus, RecordingStatus, VideoSource

#: World recording status -> archive ``status``.
ARCHIVE_STATUS: dict[RecordingStatus, str] = {
    RecordingStatus.RECORDING: "started",
    RecordingStatus.PAUSED: "paused",
    RecordingStatus.PROCESSING: "stopped",
    RecordingStatus.AVAILABLE: "available",
    RecordingStatus.FAILED: "failed",
    RecordingStatus.DELETED: "deleted",
    RecordingStatus.EXPIRED: "expired",
}

#: World live-composition status -> broadcast ``status``.
BROADCAST_STATUS: dict[CompositionStatus, str] = {
    CompositionStatus.LIVE: "started",
    CompositionStatus.STOPPED: "stopped",
}

#: A stream's video source -> ``videoType``. An audio-only stream reports
#: "camera", the client SDKs' default video type (not confirmed for REST).
VIDEO_TYPE: dict[VideoSource | None, str] = {
    VideoSource.CAMERA: "camera",
    VideoSource.SCREEN: "screen",
    VideoSource.CUSTOM: "custom",
    None: "camera",
}

#: ``Resolution`` in the spec; "640x480" is the documented default.
RESOLUTIONS = ("640x480", "480x640", "1280x720", "720x1280", "1080x1920", "1920x1080")
DEFAULT_RESOLUTION = "640x480"
#: The sample Experience Composers render at 1280x720 unless told otherwise.
DEFAULT_RENDER_RESOLUTION = "1280x720"

#: ``Layout.type`` and ``screenshareType``.
LAYOUT_TYPES = ("bestFit", "custom", "horizontalPresentation", "pip", "verticalPresentation")
OUTPUT_MODES = ("composed", "individual")
STREAM_MODES = ("auto", "manual")
ARCHIVE_MODES = ("manual", "always")
P2P_PREFERENCES = ("enabled", "disabled")

#: Archive rules (provider documentation): at most 16 video streams in a
#: composed archive, 50 in an individual one; recording stops at 4 hours.
MAX_STREAMS = {"composed": 16, "individual": 50}
ARCHIVE_MAX_DURATION = 4 * 3600
#: Archive ``maxBitrate`` and ``quantizationParameter`` ranges.
BITRATE_RANGE = (100_000, 6_000_000)
QP_RANGE = (15, 40)
#: A download URL works for 10 minutes (``Archive-Detail.url``).
DOWNLOAD_URL_LIFETIME = 600

#: Broadcasts: 60 s to 10 h, 4 h unless told; at most five RTMP targets.
BROADCAST_DURATION_RANGE = (60, 36_000)
BROADCAST_DEFAULT_DURATION = 4 * 3600
MAX_RTMP_TARGETS = 5

#: Live captions: one per session, 5 minutes to 4 hours.
CAPTIONS_DURATION_RANGE = (300, 14_400)
CAPTION_LANGUAGES = (
    "af-ZA", "ar-AE", "ar-SA", "eu-ES", "ca-ES", "zh-HK", "zh-CN", "zh-TW", "hr-HR", "cs-CZ", "da-DK", "nl-NL",
    "en-AU", "en-GB", "en-IN", "en-IE", "en-NZ", "en-AB", "en-ZA", "en-US", "en-WL", "fa-IR", "fi-FI", "fr-FR",
    "fr-CA", "gl-ES", "de-DE", "de-CH", "el-GR", "he-IL", "hi-IN", "id-ID", "it-IT", "ja-JP", "ko-KR", "lv-LV",
    "ms-MY", "no-NO", "pl-PL", "pt-PT", "pt-BR", "ro-RO", "ru-RU", "sr-RS", "sk-SK", "so-SO", "es-ES", "es-US",
    "sv-SE", "tl-PH", "th-TH", "uk-UA", "vi-VN", "zu-ZA",
)  # fmt: skip

#: Experience Composer: 1 minute to 10 hours, 2 hours unless told.
RENDER_DURATION_RANGE = (60, 36_000)
RENDER_DEFAULT_DURATION = 7200
RENDER_NAME_LENGTH = (1, 200)
#: An Experience Composer's page and a captions status callback: 15 to 2048 characters.
URL_LENGTH = (15, 2048)

#: Signals: ``type`` at most 128 bytes, ``data`` at most 8 kB.
SIGNAL_TYPE_BYTES = 128
SIGNAL_DATA_BYTES = 8192

#: Lists: 50 items unless told, 1000 at most.
PAGE_DEFAULT = 50
PAGE_MAX = 1000
