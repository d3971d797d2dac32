"""anyvideo for asyncio applications: ``anyvideo.aio.connect()`` → an async :class:`Video`.

    async with anyvideo.aio.connect("local") as video:
        room = await video.rooms.create("standup")
        async for recording in video.recordings.list(room=room):
            ...

The same resources, method names, validation, errors and extensions as the sync
facade: each operation is written once (:mod:`anyvideo.operations`) and driven
by either. Backends stay synchronous; their calls run in a bounded worker pool
(``workers=``, default ``min(32, cpus + 4)``), unless a backend offers native
async calls (:meth:`anyvideo.Backend.native_async`). What a cancelled call
means depends on what it does (see ``docs/async.md``): a read is abandoned, a
change (end, stop, delete, mute, send) is finished, and a create (a room, a
recording, a composition) is finished, lost-answer reconcile included, then
undone, before the cancellation goes on.
"""

from anyvideo.aio.client import (
    Compositions,
    Extensions,
    Participants,
    Recordings,
    Rooms,
    Signals,
    Streams,
    Tokens,
    Verify,
    Video,
    Webhooks,
    connect,
)
from anyvideo.aio.runner import PAGE, default_workers

__all__ = [
    "PAGE",
    "Compositions",
    "Extensions",
    "Participants",
    "Recordings",
    "Rooms",
    "Signals",
    "Streams",
    "Tokens",
    "Verify",
    "Video",
    "Webhooks",
    "connect",
    "default_workers",
]
