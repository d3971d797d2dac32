"""Account settings in provider-neutral terms, so one provider's can be planned
onto another's (see :mod:`anyvideo.migrate.plan`).

A backend reads its account's settings as :class:`Setting` objects, says how
it would take another provider's (a :class:`Step`) and applies the steps it
can. Kinds of setting (``Setting.kind``) and their ``value``:

- ``auto_composition``: rooms composed automatically when they end (a
  provider's composition hook, or sessions it always records): ``name``, ``enabled``,
  ``format``, ``resolution``, ``layout`` (a portable layout as JSON, or
  ``null``) and ``provider_layout`` (the provider's own, for reference);
- ``external_storage``: media stored in the customer's bucket: ``media``
  (``recordings`` or ``compositions``), ``url``, ``encrypted``;
- ``callback_url``: where the provider sends its callbacks: ``url``, ``events``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import attrs

__all__ = ["Action", "Setting", "Step"]


class Action(StrEnum):
    """How the target takes a setting."""

    APPLY = "apply"  # through the target's API, by ``--apply``
    MANUAL = "manual"  # by a person, in the provider's console or the app's configuration
    IMPOSSIBLE = "impossible"  # the target has nothing like it
    NOTHING = "nothing"  # nothing to carry (the source does not use it)


@attrs.frozen
class Setting:
    """One account setting, in provider-neutral terms (see the module docstring for the kinds)."""

    kind: str
    name: str
    value: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Step:
    """What one source setting becomes on the target."""

    setting: Setting
    action: Action
    target: str  # what it becomes, in words
    consequence: str | None = None  # what changes for the application, in one sentence
    change: Mapping[str, Any] = attrs.field(factory=dict)  # what ``apply_setting`` does, as data
