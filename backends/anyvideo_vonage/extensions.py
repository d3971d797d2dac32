"""Vonage-only operations, reached as ``video.ext.<name>(...)``: stream layout classes,
changes to a running archive or broadcast, session migration, SIP dial and DTMF,
the audio connector, live captions and Experience Composer.

They work through the backend's :class:`~anyvideo_vonage.transport.Transport`
and its public operations (a SIP call or a render joins with a token the
backend mints), like any other module of the package.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from vonage_video.models import (
    AddStreamRequest,
    CaptionsData,
    CaptionsOptions,
    ExperienceComposerOptions,
    ExperienceComposerProperties,
    InitiateSipRequest,
    SipAuth,
    SipOptions,
)

from anyvideo.backend import Feature
from anyvideo.calls import done
from anyvideo.errors import InvalidRequest, NotFound
from anyvideo.extensions import Extensions, extension
from anyvideo.models import Composition, Layout, Recording, Role, Stream
from anyvideo.retry import Safety
from anyvideo.specs import TokenSpec
from anyvideo_vonage import layouts, reconcile, translate
from anyvideo_vonage.audio import AudioConnection, AudioConnector
from anyvideo_vonage.ids import IDS
from anyvideo_vonage.models import (
    CAPTION_LANGUAGES,
    Captions,
    Render,
    RenderSpec,
    SipCall,
    SipConnection,
    validate_digits,
)
from anyvideo_vonage.options import composed_layout, json_body, sdk_model

if TYPE_CHECKING:
    from anyvideo_vonage.backend import VonageBackend

__all__ = [
    "AudioConnection",
    "AudioConnector",
    "Captions",
    "Render",
    "RenderSpec",
    "SipCall",
    "SipConnection",
    "VonageExtensions",
]

#: How long the token of a SIP call, audio connector, captions or a render stays valid to join with.
JOIN_TTL = 3600


class VonageExtensions(Extensions):
    """The Vonage backend's provider extensions."""

    backend: VonageBackend

    def __init__(self, backend: VonageBackend) -> None:
        super().__init__(backend)
        self.transport = backend.transport

    # --- streams and sessions ---------------------------------------------------

    @extension(refs=("room",))
    def set_layout_classes(self, room_id: str, classes: Mapping[str, list[str]]) -> list[Stream]:
        """give streams the application's layout classes (for its own stylesheets)

        ``classes`` maps each stream id to its class names. The classes anyvideo
        gives streams to place them in custom layouts (``anyvideo-…``) are kept.
        """
        if not classes or not all(
            isinstance(c, list) and all(isinstance(x, str) and x for x in c) for c in classes.values()
        ):
            raise InvalidRequest("classes", "map each stream id to a list of class names")
        IDS.check("room", room_id, "room_id")
        IDS.check_all("stream", classes, "classes")
        layouts.check_own_classes([c for names in classes.values() for c in names], "classes")
        changed = self.backend.placing.set_own(room_id, classes)
        registry = self.backend.registry
        return [translate.sdk_stream(room_id, info, registry.get("stream", str(info.id)) or {}) for info in changed]

    @extension(refs=("room",))
    def migrate_room(self, room_id: str) -> None:
        """move a session's connections to another media server

        The SDK has no such call: it goes through the REST helper.
        """
        IDS.check("room", room_id, "room_id")
        rest = self.transport.rest
        rest.call("POST", rest.project_path("session", room_id, "migrate"))

    # --- running archives and broadcasts ---------------------------------------------

    @extension(refs=("recording",))
    def change_recording_layout(self, recording_id: str, layout: Layout) -> Recording:
        """change a composed archive's layout while it records"""
        IDS.check("recording", recording_id, "recording_id")
        body = composed_layout(layout)

        def change() -> Recording:
            archive = self.transport.call(self.transport.video.change_archive_layout, recording_id, body)
            self.backend.registry.put("archive", recording_id, {"layout": layouts.to_json(layout)})
            return translate.archive(translate.sdk_json(archive), layout)

        return self.backend.placing.change_layout("archive", recording_id, layout, change)

    @extension(refs=("recording", "stream"))
    def add_recording_stream(
        self, recording_id: str, stream_id: str, *, has_audio: bool = True, has_video: bool = True
    ) -> None:
        """add a stream to an archive recording chosen streams (stream_mode='manual')"""
        IDS.check("recording", recording_id, "recording_id")
        request = _added_stream(stream_id, has_audio, has_video)
        self.transport.call(self.transport.video.add_stream_to_archive, recording_id, request)

    @extension(refs=("recording", "stream"))
    def remove_recording_stream(self, recording_id: str, stream_id: str) -> None:
        """remove a stream from such an archive"""
        IDS.check("recording", recording_id, "recording_id")
        IDS.check("stream", stream_id, "stream_id")
        self.transport.call(self.transport.video.remove_stream_from_archive, recording_id, stream_id, gone=done)

    @extension(refs=("composition",))
    def change_composition_layout(self, composition_id: str, layout: Layout) -> Composition:
        """change a live broadcast's layout"""
        IDS.check("composition", composition_id, "composition_id")
        body = composed_layout(layout)

        def change() -> Composition:
            broadcast = self.transport.call(self.transport.video.change_broadcast_layout, composition_id, body)
            self.backend.registry.put("broadcast", composition_id, {"layout": layouts.to_json(layout)})
            return translate.broadcast(translate.sdk_json(broadcast), layout)

        return self.backend.placing.change_layout("broadcast", composition_id, layout, change)

    @extension(refs=("composition", "stream"))
    def add_composition_stream(
        self, composition_id: str, stream_id: str, *, has_audio: bool = True, has_video: bool = True
    ) -> None:
        """add a stream to a broadcast of chosen streams"""
        IDS.check("composition", composition_id, "composition_id")
        request = _added_stream(stream_id, has_audio, has_video)
        self.transport.call(self.transport.video.add_stream_to_broadcast, composition_id, request)

    @extension(refs=("composition", "stream"))
    def remove_composition_stream(self, composition_id: str, stream_id: str) -> None:
        """remove a stream from such a broadcast"""
        IDS.check("composition", composition_id, "composition_id")
        IDS.check("stream", stream_id, "stream_id")
        self.transport.call(self.transport.video.remove_stream_from_broadcast, composition_id, stream_id, gone=done)

    # --- SIP -----------------------------------------------------------------------

    @extension(refs=("room",), feature=Feature.SIP_DIAL)
    def dial_sip(self, room_id: str, call: SipCall) -> SipConnection:
        """dial a SIP endpoint into a room (Feature.SIP_DIAL)

        The call joins as a publisher connection.
        """
        IDS.check("room", room_id, "room_id")
        if not isinstance(call, SipCall):
            raise InvalidRequest("call", "give a SipCall")
        token = self.backend.create_token(room_id, TokenSpec(call.identity, Role.PUBLISHER, JOIN_TTL, call.data))
        sip = SipOptions(
            uri=call.uri,
            from_=call.from_,
            headers=dict(call.headers) or None,
            auth=SipAuth(username=call.username, password=call.password) if call.username else None,
            secure=call.secure or None,
            video=call.video or None,
            observe_force_mute=call.observe_force_mute or None,
        )
        # A repeat would dial a second call: tried again only after a 429.
        result = self.transport.call(
            self.transport.video.initiate_sip_call,
            InitiateSipRequest(session_id=room_id, token=token.token, sip=sip),
            safety=Safety.UNSAFE,
        )
        raw = translate.sdk_json(result)
        return SipConnection(
            id=translate.identifier(raw, "id", "a SIP call"),
            room_id=room_id,
            connection_id=translate.identifier(raw, "connectionId", "a SIP call"),
            stream_id=translate.identifier(raw, "streamId", "a SIP call"),
            created_at=translate.from_ms(result.created_at),
            raw=raw,
        )

    @extension(refs=("room",), feature=Feature.DTMF)
    def play_dtmf(self, room_id: str, digits: str, *, participant_id: str | None = None) -> None:
        """play DTMF digits into a room's SIP connections (Feature.DTMF)

        ``digits`` are ``0-9*#p``; ``participant_id`` plays them into one connection only.
        """
        IDS.check("room", room_id, "room_id")
        digits = validate_digits(digits)
        target = () if participant_id is None else (IDS.check("participant", participant_id, "participant_id"),)
        # A repeat would play the tones twice: tried again only after a 429.
        self.transport.call(self.transport.video.play_dtmf, room_id, digits, *target, safety=Safety.UNSAFE)

    # --- audio connector -------------------------------------------------------------------

    @extension(refs=("room",))
    def start_audio_connector(self, room_id: str, connector: AudioConnector) -> AudioConnection:
        """stream a room's audio to a WebSocket server (Vonage's audio connector)

        The connector joins as a publisher connection, with a token anyvideo mints.
        """
        IDS.check("room", room_id, "room_id")
        if not isinstance(connector, AudioConnector):
            raise InvalidRequest("connector", "give an AudioConnector")
        spec = TokenSpec(connector.identity, Role.PUBLISHER, JOIN_TTL, connector.data)
        token = self.backend.create_token(room_id, spec)
        # The REST helper, as the SDK would send it: the SDK's audio rates lack the spec's 24000.
        rest = self.transport.rest
        body = {"sessionId": room_id, "token": token.token, "websocket": connector.websocket()}
        # A repeat would connect a second connector: tried again only after a 429.
        raw = rest.call(
            "POST", rest.project_path("connect"), body=body, safety=Safety.UNSAFE, what="start_audio_connector"
        )
        if not isinstance(raw, dict):
            raw = {}
        return AudioConnection(
            id=translate.identifier(raw, "id", "an audio connector"),
            room_id=room_id,
            connection_id=translate.identifier(raw, "connectionId", "an audio connector"),
            raw=raw,
        )

    @extension()
    def stop_audio_connector(self, connection: AudioConnection) -> None:
        """stop an audio connector: its connection is forced out of the room

        That is how Vonage stops one (the Node SDK's ``POST …/connect/{id}/stop``
        is deprecated there as a call the platform does not implement); a
        connector already gone is no error.
        """
        if not isinstance(connection, AudioConnection):
            raise InvalidRequest("connection", "give the AudioConnection start_audio_connector returned")
        IDS.check("room", connection.room_id, "connection.room_id")
        IDS.check("participant", connection.connection_id, "connection.connection_id")
        try:
            self.backend.disconnect_participant(connection.room_id, connection.connection_id)
        except NotFound:
            pass  # it left already (its WebSocket closed, or stopped before): stopped, as asked

    # --- live captions -------------------------------------------------------------------

    @extension(refs=("room",), feature=Feature.CAPTIONS)
    def start_captions(
        self,
        room_id: str,
        *,
        language: str = "en-US",
        max_duration: int | None = None,
        partial: bool = True,
        status_callback_url: str | None = None,
    ) -> Captions:
        """start live captions (Feature.CAPTIONS)

        One per session, with a moderator token anyvideo mints.
        """
        IDS.check("room", room_id, "room_id")
        if language not in CAPTION_LANGUAGES:
            raise InvalidRequest("language", f"{language!r} is not a language Vonage captions")
        if max_duration is not None and (
            isinstance(max_duration, bool) or not isinstance(max_duration, int) or not 300 <= max_duration <= 14_400
        ):
            raise InvalidRequest("max_duration", "captions run from 300 to 14400 seconds")
        if status_callback_url is not None and not (
            isinstance(status_callback_url, str) and 15 <= len(status_callback_url) <= 2048
        ):
            raise InvalidRequest("status_callback_url", "must be a URL of 15 to 2048 characters")
        token = self.backend.create_token(room_id, TokenSpec("captions", Role.MODERATOR, JOIN_TTL))
        options = sdk_model(
            CaptionsOptions,
            session_id=room_id,
            token=token.token,
            language_code=language,
            max_duration=max_duration,
            partial_captions=partial,
            status_callback_url=status_callback_url,
        )
        # Captions cannot be listed, and a repeat after a lost answer is refused (60003, already on)
        # without their id: tried again only after a 429.
        started = self.transport.call(self.transport.video.start_captions, options, safety=Safety.UNSAFE)
        return Captions(id=translate.identifier({"id": started.captions_id}, "id", "captions"), room_id=room_id)

    @extension(feature=Feature.CAPTIONS)
    def stop_captions(self, captions: Captions | str) -> None:
        """stop live captions"""
        captions_id = IDS.check("captions", captions.id if isinstance(captions, Captions) else captions, "captions")
        self.transport.call(self.transport.video.stop_captions, CaptionsData(captions_id=captions_id), gone=done)

    # --- Experience Composer ----------------------------------------------------------------

    @extension(refs=("room",), feature=Feature.RENDER)
    def start_render(self, room_id: str, spec: RenderSpec) -> Render:
        """render a web page into a room with Experience Composer (Feature.RENDER)

        ``spec.url`` is rendered by a browser and published into the room.
        """
        IDS.check("room", room_id, "room_id")
        if not isinstance(spec, RenderSpec):
            raise InvalidRequest("spec", "give a RenderSpec")
        resolutions = self.backend.resolutions
        if spec.resolution is not None and spec.resolution not in resolutions:
            raise InvalidRequest("resolution", f"vonage renders at {', '.join(sorted(resolutions))}")
        token = self.backend.create_token(room_id, TokenSpec(spec.identity, Role.PUBLISHER, JOIN_TTL))
        options = sdk_model(
            ExperienceComposerOptions,
            session_id=room_id,
            token=token.token,
            url=spec.url,
            max_duration=spec.max_duration,
            resolution=spec.resolution,
            properties=ExperienceComposerProperties(name=spec.name) if spec.name else None,
        )
        rest = self.transport.rest
        body = self.backend.start_once(
            "render",
            room_id,
            reconcile.render_matches(options),
            "start render",
            lambda: rest.call("POST", rest.project_path("render"), body=json_body(options)),
        )
        render = translate.render(body)
        self.backend.registry.put("render", render.id, {})  # known: never taken for a lost try's
        return render

    @extension(feature=Feature.RENDER)
    def get_render(self, render_id: str) -> Render:
        """one Experience Composer"""
        IDS.check("render", render_id, "render_id")
        rest = self.transport.rest
        return translate.render(rest.call("GET", rest.project_path("render", render_id)))

    @extension(feature=Feature.RENDER)
    def list_renders(self) -> Iterator[Render]:
        """the application's Experience Composers, lazily"""
        rest = self.transport.rest
        pages = rest.oldest_first(rest.project_path("render"), {}, page_size=self.transport.page_size)
        return (translate.render(body) for body in pages)

    @extension(feature=Feature.RENDER)
    def stop_render(self, render_id: str) -> None:
        """stop an Experience Composer"""
        IDS.check("render", render_id, "render_id")
        self.transport.call(self.transport.video.stop_experience_composer, render_id, gone=done)


def _added_stream(stream_id: str, has_audio: bool, has_video: bool) -> AddStreamRequest:
    IDS.check("stream", stream_id, "stream_id")
    return AddStreamRequest(stream_id=stream_id, has_audio=has_audio, has_video=has_video)
