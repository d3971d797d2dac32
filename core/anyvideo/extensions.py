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

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs

from anyvideo.backend import Feature
from anyvideo.errors import AnyVideoError

if TYPE_CHECKING:
    from anyvideo.backend import Backend
    from anyvideo.client import Video

__all__ = ["ExtensionInfo", "Extensions", "ObjectKind", "UnsupportedExtension", "VideoExtensions", "extension"]

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


class UnsupportedExtension(AnyVideoError, AttributeError):
    """The connected backend offers no provider extension of that name; nothing was sent.

    It is an :class:`AttributeError` too, so ``hasattr(video.ext, name)`` answers
    whether the backend offers it.
    """

    def __init__(self, name: str, backend: str, offered: list[str], elsewhere: list[str]) -> None:
        self.name = name
        self.backend = backend
        message = f"the {backend} backend has no extension {name!r}"
        message += f"; it offers: {', '.join(offered)}" if offered else "; it offers none"
        if elsewhere:
            message += f"; backends installed here that offer it: {', '.join(elsewhere)}"
        super().__init__(message)


class VideoExtensions:
    """``video.ext``: the connected backend's provider extensions, behind the same door
    as every core call.

    ``video.ext.dial_sip(room, call)`` takes the room as a model, a ref or an
    id, checks that the backend declares the extension's feature, and calls
    the backend's extension with the native id. ``"dial_sip" in video.ext``
    (or ``hasattr``) asks first; an extension the backend does not offer
    raises :class:`UnsupportedExtension` naming the backends that do.
    """

    def __init__(self, video: Video) -> None:
        self._video = video
        cls = video.backend.extensions_class
        self._declared = cls.declared() if cls is not None else {}
        self._implementation = cls(video.backend) if cls is not None else None

    def __repr__(self) -> str:
        return f"VideoExtensions(backend={self._video.backend_name!r}, names={sorted(self._declared)!r})"

    def __contains__(self, name: object) -> bool:
        return name in self._declared

    def __iter__(self) -> Iterator[ExtensionInfo]:
        return iter(sorted(self._declared.values(), key=lambda info: info.name))

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self._declared]

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        info = self._declared.get(name)
        if info is None or self._implementation is None:
            elsewhere = [
                backend
                for backend, cls in self._video.plugins.backends().items()
                if cls.extensions_class is not None and name in cls.extensions_class.declared()
            ]
            raise UnsupportedExtension(name, self._video.backend_name, sorted(self._declared), elsewhere)
        method = getattr(self._implementation, name)
        signature = inspect.signature(method)
        leading = list(signature.parameters)[: len(info.refs)]

        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            if info.feature is not None:
                self._video.require(info.feature)
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise TypeError(f"ext.{name}: {exc}") from None
            for parameter in leading:
                if parameter in bound.arguments:
                    bound.arguments[parameter] = self._video._id(bound.arguments[parameter], parameter)
            return method(*bound.args, **bound.kwargs)

        return call
