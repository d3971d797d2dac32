"""The simulated video platform behind the ``local`` backend and the provider emulators.

:class:`World` holds rooms, participants, streams, recordings, compositions
and signals, with the rules they follow; :class:`Store` keeps them in SQLite;
:class:`ManualClock` lets a test move time; :class:`Browser` plays clients.
"""

from anyvideo.sim.browser import Browser, Client
from anyvideo.sim.clock import Clock, ManualClock, OffsetClock, SystemClock
from anyvideo.sim.records import Grant, SimEvent
from anyvideo.sim.store import Store
from anyvideo.sim.world import World

__all__ = [
    "Browser",
    "Client",
    "Clock",
    "Grant",
    "ManualClock",
    "OffsetClock",
    "SimEvent",
    "Store",
    "SystemClock",
    "World",
]
