"""Provider extensions: operations only one provider offers, behind one front door.

A backend that offers some sets :attr:`Backend.extensions_class
<anyvideo.backend.Backend.extensions_class>` to a subclass of
:class:`Extensions` whose public methods are marked with :func:`extension`.
Applications reach them as ``video.ext.<name>(...)``: the facade resolves the
leading object arguments the mark names (a model, a ref or a native id, like
every core call), checks the feature the mark names, and only then calls the
method with native ids.

    class ProviderExtensions(Extensions):
        @extension(refs=("room",), feature=Feature.SIP_DIAL)
        def dial_sip(self, room_id: str, call: SipCall) -> SipConnection:
            ...  # its docstring's first line is its summary in the capability matrix
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs

from anyvideo.backend import Feature

if TYPE_CHECKING:
    from anyvideo.backend import Backend

__all__ = ["ExtensionInfo", "Extensions", "ObjectKind", "extension"]

#: The kinds of core object an extension can take by model, ref or id.
ObjectKind = Literal["room", "participant", "stream", "recording", "composition"]

F = TypeVar("F", bound=Callable[..., Any])

_MARK = "__anyvideo_extension__"


@attrs.frozen
class ExtensionInfo:
    """What the facade and the capability matrix know of one extension."""

    name: str
    #: The first line of the method's docstring.
    summary: str
    #: The kinds of the leading arguments that name core objects, in order.
    refs: tuple[ObjectKind, ...] = ()
    #: The feature the backend must declare for the extension to be callable.
    feature: Feature | None = None


def extension(*, refs: tuple[ObjectKind, ...] = (), feature: Feature | None = None) -> Callable[[F], F]:
    """Mark a method of an :class:`Extensions` subclass as a provider extension.

    ``refs`` names the kinds of its leading arguments that are core objects
    (the facade hands the method their native ids); ``feature`` is the
    :class:`~anyvideo.Feature` it belongs to, if any.
    """

    def mark(method: F) -> F:
        setattr(method, _MARK, (tuple(refs), feature))
        return method

    return mark


class Extensions:
    """Base of a backend's provider extensions; made with the backend it works through."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @classmethod
    def declared(cls) -> dict[str, ExtensionInfo]:
        """Every extension this class offers, by name."""
        found = {}
        for name, member in inspect.getmembers(cls, inspect.isfunction):
            mark = getattr(member, _MARK, None)
            if mark is None or name.startswith("_"):
                continue
            refs, feature = mark
            summary = (inspect.getdoc(member) or "").strip().splitlines()
            found[name] = ExtensionInfo(name, summary[0] if summary else "", refs, feature)
        return found
