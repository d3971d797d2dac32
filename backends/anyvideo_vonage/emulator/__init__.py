"""The Vonage Video REST API emulator: ``video.api.vonage.com`` on loopback,
backed by the simulated platform, for the official ``vonage`` SDK.

    from anyvideo.testing import emulator
    with emulator("vonage", tls=True) as vonage:
        ...  # HttpClientOptions(video_host=<host:port of vonage.base_url>), REQUESTS_CA_BUNDLE=vonage.ca_bundle

It follows ``vonage_video.yml`` (0.3.2); where the provider's real answers
(``samples/vonage``) or the official SDK show otherwise, it follows them.

Both credential modes work as on the platform: an application (RS256 JWTs,
the ``vonage`` SDK) and a legacy project's API key and secret (the
``X-OPENTOK-AUTH`` header, the OpenTok SDKs). A session belongs to the project
whose credentials created it: its id embeds that application id or API key,
and ``project_id``/``partner_id``, a SIP call's ``projectId`` and session
monitoring's ``projectId`` name it. Client tokens are accepted in each form
the SDKs mint (RS256 for an application; HS256 and ``T1==`` signed with the
project secret) for a session of their own project. Every path also answers
with a trailing ``/``.

Every departure, and why:

=======================================================  ==========================================================
what the emulator does                                   why
=======================================================  ==========================================================
``POST /session/create`` answers ``project_id``,          the provider's answer (``create_session.json``); the spec's
``partner_id``, ``session_segment_id``, … not             ``application_id``/``media_server_url`` are not sent
``application_id``/``media_server_url``
an archive's ``transcription.url`` is ``""`` until the   ``archive_with_transcription.json`` has it; the spec's
transcript is available                                  ``url`` is a string, not nullable
a started broadcast's ``broadcastUrls.hlsStatus`` is     ``list_broadcasts.json``; the spec does not list the field
"ready" once it is past its start
``create_dt`` is written in UTC                          the provider writes its servers' zone
``/session/create`` answers 400 to a bad option, 403 to  the spec documents only 200 there
bad credentials
connection ``createdAt`` is a number (ms)                the spec says string, its example is a number, like every
                                                         other timestamp of the API
an archive's ``url`` is ``null`` until it is available   ``archive.json``; the spec's schema is not nullable, its text
                                                         says null
a stopped broadcast's ``broadcastUrls`` is ``null``      ``stop_broadcast.json``
a broadcast's ``streams[].hasAudio``/``hasVideo`` are    the SDK reads booleans; the spec writes string
booleans
``POST …/connect`` answers ``{id, connectionId}``        ``audio_connector.json``; the spec requires a ``captionsId``
                                                         (copied from captions)
``PUT …/stream`` answers the changed streams             ``change_stream_layout.json``, and the SDK reads them; the
(``{count, items}``)                                     spec promises an empty 200
``PUT …/archive/{id}/layout`` and ``…/broadcast/{id}/    the SDK reads an archive/broadcast from the answer; the spec
layout`` answer the archive/broadcast                    promises an empty 200
404 for an unknown archive (get, delete, layout), an     "not found" everywhere else in the API; the spec lists no 404
unknown broadcast (get), an unknown session in ``PUT     for these operations
…/stream`` and the audio connector; 400 for a bad
audio-connector request
a deleted archive is still answered (``"deleted"``),     the SDK's ``ArchiveStatus`` has it; deleting needs "available
and deleting it again succeeds                           OR uploaded OR deleted" (``delete_archive_error.json``); the
                                                         spec's enum lacks it
stopping a stopped archive answers it unchanged          the provider's words: "started OR paused OR stopped"
                                                         (``stop_archive_error.json``)
no ``paused`` status; automatic archives stop as the     the simulated platform has no idle timers
last client leaves (the provider waits 60 s)
the "stopped" callback of an archive that reached 4      the world stops it when next touched, without an event of
hours comes when it becomes available                    its own
the 16-stream limit of a composed archive counts         the world caps streams, not video streams
audio-only streams too
the media of a manual-mode archive has every stream of   the world captures the session's streams; the selection shows
the session (up to the limit)                            in ``streams``
starting a broadcast in a relayed session or one         the spec documents no status for these; 400 is its catch-all
without clients answers 400
an error body is ``{code, message, description}`` with   the provider's own codes are known only for some errors
``code`` the HTTP status unless the provider's code is   (15002, 15004, 60003, 1000x, 5000x, -1)
known
live captions produce no text and no status callback     no speech, and no documented callback payload
a custom stylesheet using CSS the layout documentation   the documentation lists what is supported without saying
does not list (``display: none``, ``*``, a negative      whether the rest is refused or ignored; refusing shows a
``z-index``…) is refused with 400 "invalid layout        translator's mistake (``stylesheet.py``)
options"
a composed archive's file records the box each stream    the provider renders pixels; the emulator reads the
filled, by the stylesheet and classes in force when it   stylesheet (``stylesheet.py``), and leaves out a stream
stops; none for presets                                  whose box depends on the flow or the streams' order
=======================================================  ==========================================================
"""

from anyvideo_vonage.emulator.emulator import VonageEmulator

__all__ = ["VonageEmulator"]
