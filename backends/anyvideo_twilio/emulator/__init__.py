"""The Twilio Video v1 REST emulator: a Twilio face on the simulated platform.

It follows ``twilio_video_v1.yaml`` (twilio-oai) field by field, answers the
official ``twilio`` SDK (``client.video.base_url = emulator.base_url``), and
authenticates as Twilio does: HTTP Basic with the account SID and auth token,
or an API key SID and secret. Client access tokens
(``AccessToken`` + ``VideoGrant(room=...)``, HS256 with the API key secret)
join rooms through the control API.

How Twilio maps onto the world
------------------------------

==========================  ======================================================
Twilio                      simulated platform
==========================  ======================================================
Room ``RM…``                room; type, timeouts, region, codecs, callback in its
                            options; ``unique_name`` is its name, else its SID
Participant ``PA…``         participant (every token publishes and subscribes)
Published track ``MT…``     stream of kind audio, video or data (one per kind)
Track recording ``RT…``     one *individual* world recording restricted to one
                            stream (``stream_ids``), from the moment the room's
                            recording rules pick the track until they drop it,
                            it is unpublished, or the room ends; a new ``RT``
                            each time a track starts being recorded
Recording rules             face state, evaluated as Twilio documents (algebra of
                            sets) whenever the room's tracks or rules change;
                            ``RecordParticipantsOnConnect`` = include all
Composition ``CJ…``         face entry while ``enqueued`` (its room has ended but
                            recordings are still processing), then a world file
                            composition of the chosen track recordings, with the
                            same SID
Composition hook ``HK…``    face state; on ``room-ended`` each enabled hook
                            enqueues a composition of a room with recordings
Recording/Composition       face state; new recordings/compositions take the
settings                    settings in force when they start
==========================  ======================================================

Statuses: room ``in-progress``/``completed``; participant ``connected``/
``disconnected``; recording ``processing`` (captured, then processed) →
``completed`` → ``deleted``; composition ``enqueued`` → ``processing`` →
``completed`` → ``deleted`` (``failed`` when no recorded track matches).
The maps are data in :mod:`.statuses`.

Deliberate deviations
---------------------

=============================================  ==========================================================
What                                           How the emulator differs, and why
=============================================  ==========================================================
Timed endings (EmptyRoomTimeout,               Checked when a request arrives: an idle emulator ends the
UnusedRoomTimeout, MaxParticipantDuration)     room at the first request after the timeout, at that moment
                                               (its ``end_time``), not at the exact due time.
Enqueued compositions                          Start processing at the first request after the room's
                                               recordings complete (then take ``processing_delay``).
Media bytes                                    The simulated platform's deterministic bytes, not Matroska
                                               or MP4; sizes, checksums and content types are stable.
``Media`` redirect target                      The emulator's own signed ``/media/...`` URL (expiry judged
                                               by the emulator's clock) instead of an S3 URL.
Error codes                                    20003, 20404, 53113 and 53120 are confirmed; other 53xxx
                                               codes are from Twilio's error dictionary, unverified
                                               offline; errors with no known code use ``20000 + status``.
UpdateRoom, UpdateRoomParticipant → 202;       As the spec says (the SDK's mocked samples show 200/201).
Create*Settings → 200
List order                                     Oldest first (Twilio does not document an order).
GET /Rooms without Status                      Rooms in progress only, as the spec's parameter says.
Access tokens                                  The VideoGrant must name an existing room (SID, or unique
                                               name of a room in progress): no ad-hoc room creation.
Participant ``reconnecting``,                  Not emulated: the simulated clients never lose their
``track-enabled``/``track-disabled``           connection, and only audio can be muted (``enabled``).
Trim                                           Stored and echoed; a composition always spans its chosen
                                               recordings (which is what trimming leading gaps gives).
How a composition is drawn                     Its file records one rectangle per video track, for the
                                               whole file: the region it appears in (the topmost when
                                               several show it); ``reuse`` treats the tracks as overlapping
                                               in time, keeping the same ones in a full region throughout.
``composition-progress``                       Not sent; a composition goes from started to available.
Hooks on rooms without recordings              Nothing is composed and no ``composition-hook-failed``
                                               is sent.
Subscribe rules' unused filters                ``null``, as the SDK's samples show; the spec types them
                                               as non-null strings/booleans (the spec check allows null).
Recording rules of a room with none set        ``"rules": []``, the empty set Twilio's evaluation starts
                                               from (Twilio does not document this answer).
Anonymize                                      Only a disconnected participant (its identity becomes its
                                               SID); a connected one is a 400.
MaxParticipantDuration                         Accepted from 600 to 86400 seconds (default 14400).
Paths                                          A participant may be named by the identity of a
                                               connected one, as Twilio's docs allow.
Transcriptions                                 Their state is emulated (statuses, configuration, stop/start,
                                               ending with the room); no speech is transcribed, so clients
                                               receive no text. ``source_sid`` is ``null``. One started
                                               transcription per room (Twilio does not document a second).
=============================================  ==========================================================
"""

from anyvideo_twilio.emulator.emulator import TwilioEmulator

__all__ = ["TwilioEmulator"]
