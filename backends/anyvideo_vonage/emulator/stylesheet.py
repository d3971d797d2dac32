"""Custom layout stylesheets, read as Vonage documents them.

Vonage applies a custom layout's CSS to a virtual DOM: an ``<archive>`` (or
``<broadcast>``) element of the output's size with ``overflow: hidden``,
holding one ``<stream class="{layoutClassList}">`` per stream, each
``display: block; margin: 0`` by default ("Video layouts for composed archives
and live streaming broadcasts", *Defining custom layouts*). That page lists
what is supported, and this module reads exactly that:

- selectors: the type selector ``stream`` (no other element), class selectors
  (``.host``, ``stream.host``, ``.a.b``), the sibling combinators ``+`` and
  ``~``, and ``:first-child``, ``:last-child``, ``:nth-child(n)``,
  ``:nth-last-child(n)``; not ``*``, descendant or child combinators, ids,
  attributes or pseudo-elements;
- properties: ``width``, ``height``, ``min-``/``max-width``/``height``
  (non-negative, px or %); ``left``, ``right``, ``top``, ``bottom``,
  ``margin`` and ``margin-*`` (px or %); ``z-index`` (a whole number ≥ 0);
  ``position`` (relative, absolute); ``display`` (inline, block,
  inline-block: no ``none``); ``float`` (none, left, right); ``object-fit``
  (contain, cover); ``overflow`` (hidden); ``clear`` (none, left, right, both,
  initial, inherit).

:func:`parse` refuses anything else with :class:`StylesheetError`, which the
face answers with the provider's 400 for invalid layout options: the
documentation does not say whether Vonage refuses or ignores such CSS, and
refusing shows a translator's mistake rather than hiding it.

:meth:`Stylesheet.box` is the rectangle a stream with a given class list fills,
by the cascade (specificity, then order), in fractions of the canvas, clipped
to it. It works out only what needs neither the streams' order nor their flow:
an absolutely positioned box whose horizontal extent is given (``left`` or
``right`` with ``width``, or ``left`` and ``right``; ``right`` is ignored when
all three are), likewise vertically, with margins and min/max sizes applied.
A box the canvas clips away entirely is not shown (``None``). Whatever else
decides a stream's box — a static or relative box placed by the flow, a
sibling or ``:nth-child`` selector that may style it — is
:class:`Undetermined`: no placement, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import attrs

__all__ = ["PROPERTIES", "Box", "Stylesheet", "StylesheetError", "Undetermined", "parse"]

#: ``(x, y, width, height)`` in fractions of the canvas.
Box = tuple[float, float, float, float]


class StylesheetError(ValueError):
    """A stylesheet Vonage's documentation does not support."""


class Undetermined(Exception):
    """A stream's box depends on what the stylesheet alone does not say."""


@attrs.frozen
class Length:
    """A CSS length: ``value`` in ``px`` or ``%``."""

    value: float
    unit: str  # "px" or "%"

    def pixels(self, base: float) -> float:
        return self.value if self.unit == "px" else self.value * base / 100


Value = Length | int | str

_IDENT = r"-?[_a-zA-Z][_a-zA-Z0-9-]*"
_NUMBER = re.compile(r"(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))(?P<unit>px|%)?")
_AN_PLUS_B = re.compile(r"\s*(?:odd|even|[+-]?\d*n(?:\s*[+-]\s*\d+)?|[+-]?\d+)\s*")
_SIMPLE = re.compile(rf"\.(?P<cls>{_IDENT})|:(?P<pseudo>{_IDENT})(?:\((?P<arg>[^()]*)\))?")
_PSEUDO_CLASSES = {"first-child": False, "last-child": False, "nth-child": True, "nth-last-child": True}
_COMBINATOR = re.compile(r"\s*([+~>])\s*|\s+")


def _length(text: str, *, negative: bool) -> Length:
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise StylesheetError(f"{text!r} is not a length in px or %")
    value = float(match["number"])
    if match["unit"] is None and value != 0:
        raise StylesheetError(f"{text!r} needs a unit (px or %)")
    if value < 0 and not negative:
        raise StylesheetError(f"{text!r} cannot be negative here")
    return Length(value, match["unit"] or "px")


def _offset(text: str) -> Length:
    return _length(text, negative=True)


def _size(text: str) -> Length:
    return _length(text, negative=False)


def _z_index(text: str) -> int:
    if not re.fullmatch(r"\+?\d+", text):
        raise StylesheetError(f"z-index is a whole number of 0 or more, not {text!r}")
    return int(text)


def _keyword(*allowed: str) -> Callable[[str], str]:
    def read(text: str) -> str:
        if text.lower() not in allowed:
            raise StylesheetError(f"{text!r} is not one of {', '.join(allowed)}")
        return text.lower()

    return read


#: Each supported property and how its value is read (the documentation's table).
PROPERTIES: Mapping[str, Callable[[str], Value]] = {
    "width": _size,
    "height": _size,
    "min-width": _size,
    "min-height": _size,
    "max-width": _size,
    "max-height": _size,
    "left": _offset,
    "right": _offset,
    "top": _offset,
    "bottom": _offset,
    "margin-left": _offset,
    "margin-right": _offset,
    "margin-top": _offset,
    "margin-bottom": _offset,
    "z-index": _z_index,
    "position": _keyword("relative", "absolute"),
    "display": _keyword("inline", "block", "inline-block"),
    "float": _keyword("none", "left", "right"),
    "object-fit": _keyword("contain", "cover"),
    "overflow": _keyword("hidden"),
    "clear": _keyword("none", "left", "right", "both", "initial", "inherit"),
}
#: The shorthand ``margin``: one to four lengths, as CSS spreads them (top, right, bottom, left).
_MARGIN_SIDES = ("margin-top", "margin-right", "margin-bottom", "margin-left")
_MARGIN_SPREAD = {1: (0, 0, 0, 0), 2: (0, 1, 0, 1), 3: (0, 1, 2, 1), 4: (0, 1, 2, 3)}
#: What every stream has before the stylesheet (the documented default rule).
_DEFAULTS: Mapping[str, Value] = {"display": "block", **{side: Length(0, "px") for side in _MARGIN_SIDES}}


@attrs.frozen
class Compound:
    """One compound selector: ``stream`` or not, classes, pseudo-classes."""

    element: bool
    classes: frozenset[str]
    pseudo_classes: tuple[str, ...]


@attrs.frozen
class Selector:
    """A complex selector: compounds joined by ``+``/``~``, the last one the subject."""

    compounds: tuple[Compound, ...]
    text: str

    @property
    def specificity(self) -> tuple[int, int]:
        """(classes and pseudo-classes, type selectors): there are no ids."""
        classes = sum(len(c.classes) + len(c.pseudo_classes) for c in self.compounds)
        return classes, sum(c.element for c in self.compounds)

    @property
    def needs_order(self) -> bool:
        """Whether it matches by the streams' order (siblings, ``:nth-child``…)."""
        return len(self.compounds) > 1 or bool(self.compounds[-1].pseudo_classes)

    def may_match(self, classes: frozenset[str]) -> bool:
        """Whether its subject matches a stream with ``classes`` (order aside)."""
        return self.compounds[-1].classes <= classes


@attrs.frozen
class Rule:
    selectors: tuple[Selector, ...]
    declarations: tuple[tuple[str, Value], ...]


@attrs.frozen
class Stylesheet:
    """A parsed custom layout stylesheet."""

    rules: tuple[Rule, ...]

    def box(self, classes: Sequence[str], canvas: tuple[int, int]) -> Box | None:
        """Where a stream with layout classes ``classes`` shows on a ``canvas`` of (width, height)
        pixels; ``None``: clipped away. :class:`Undetermined` when the stylesheet does not say."""
        values = self._cascade(frozenset(classes))
        if values.get("position") != "absolute":
            raise Undetermined("it is not absolutely positioned: where it goes depends on the other streams' flow")
        width, height = canvas
        x, w = _extent(values, ("left", "right", "width"), width, width)
        y, h = _extent(values, ("top", "bottom", "height"), height, width)
        left, top = max(x, 0.0), max(y, 0.0)
        right, bottom = min(x + w, width), min(y + h, height)
        if right <= left or bottom <= top:
            return None
        return (left / width, top / height, (right - left) / width, (bottom - top) / height)

    def _cascade(self, classes: frozenset[str]) -> dict[str, Value]:
        matched: list[tuple[tuple[int, int], int, Rule]] = []
        for order, rule in enumerate(self.rules):
            hits = [s for s in rule.selectors if s.may_match(classes)]
            ordered = [s for s in hits if s.needs_order]
            if ordered:
                raise Undetermined(f"{ordered[0].text!r} may style it, depending on the streams' order")
            if hits:
                matched.append((max(s.specificity for s in hits), order, rule))
        values = dict(_DEFAULTS)
        for _, _, rule in sorted(matched, key=lambda m: (m[0], m[1])):
            values.update(rule.declarations)
        return values


def _extent(values: Mapping[str, Value], names: tuple[str, str, str], size: int, width: int) -> tuple[float, float]:
    """Where a box starts along one axis and how long it is, in pixels (``width``: what
    percentages of margins refer to, on both axes)."""
    start_name, end_name, length_name = names
    start, end, length = values.get(start_name), values.get(end_name), values.get(length_name)
    low, high = (f"margin-{start_name}", f"margin-{end_name}")
    margin_start = _pixels(values[low], width)
    margin_end = _pixels(values[high], width)
    lowest = values.get(f"min-{length_name}")
    highest = values.get(f"max-{length_name}")

    def clamp(pixels: float) -> float:
        if highest is not None:
            pixels = min(pixels, _pixels(highest, size))
        if lowest is not None:
            pixels = max(pixels, _pixels(lowest, size))
        return pixels

    if length is not None and start is not None:
        return _pixels(start, size) + margin_start, clamp(_pixels(length, size))
    if length is not None and end is not None:
        extent = clamp(_pixels(length, size))
        return size - _pixels(end, size) - margin_end - extent, extent
    if start is not None and end is not None:
        extent = clamp(size - _pixels(start, size) - _pixels(end, size) - margin_start - margin_end)
        return _pixels(start, size) + margin_start, extent
    raise Undetermined(f"its {start_name}, {end_name} and {length_name} leave it where the flow puts it")


def _pixels(value: Value, base: float) -> float:
    assert isinstance(value, Length)
    return value.pixels(base)


# --- parsing ------------------------------------------------------------------------


def parse(text: str) -> Stylesheet:
    """Read a custom layout stylesheet; :class:`StylesheetError` for what Vonage does not support."""
    source = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    if "/*" in source:
        raise StylesheetError("an unclosed comment")
    rules = []
    rest = source
    while rest.strip():
        head, brace, rest = rest.partition("{")
        body, closing, rest = rest.partition("}")
        if not brace or not closing or "{" in body:
            raise StylesheetError("each rule is selectors { declarations }, and rules do not nest")
        if head.strip().startswith("@"):
            raise StylesheetError(f"at-rules are not supported ({head.strip().split()[0]})")
        rules.append(Rule(_selectors(head), _declarations(body)))
    return Stylesheet(tuple(rules))


def _selectors(text: str) -> tuple[Selector, ...]:
    parts = [part.strip() for part in text.split(",")]
    if not all(parts):
        raise StylesheetError(f"{text.strip()!r}: an empty selector")
    return tuple(_selector(part) for part in parts)


def _selector(text: str) -> Selector:
    pieces = _COMBINATOR.split(text)
    compounds, combinators = pieces[::2], pieces[1::2]
    for combinator in combinators:
        if combinator == ">":
            raise StylesheetError(f"{text!r}: child combinators are not supported")
        if combinator is None:
            raise StylesheetError(f"{text!r}: descendant combinators are not supported")
    return Selector(tuple(_compound(part, text) for part in compounds), text)


def _compound(part: str, whole: str) -> Compound:
    element = re.match(_IDENT, part)
    position = 0
    if element is not None:
        if element.group() != "stream":
            raise StylesheetError(f"{whole!r}: type selectors select stream elements only")
        position = element.end()
    classes: set[str] = set()
    pseudo_classes: list[str] = []
    while position < len(part):
        if part.startswith("::", position):
            raise StylesheetError(f"{whole!r}: pseudo-elements are not supported")
        simple = _SIMPLE.match(part, position)
        if simple is None:
            what = {"*": "the universal selector", "#": "id selectors", "[": "attribute selectors"}
            raise StylesheetError(f"{whole!r}: {what.get(part[position], 'this selector')} is not supported")
        if simple["cls"]:
            classes.add(simple["cls"])
        else:
            name, argument = simple["pseudo"], simple["arg"]
            takes_argument = _PSEUDO_CLASSES.get(name)
            if takes_argument is None or takes_argument != (argument is not None):
                raise StylesheetError(f"{whole!r}: the pseudo-class :{name} is not supported")
            if argument is not None and not _AN_PLUS_B.fullmatch(argument):
                raise StylesheetError(f"{whole!r}: :{name}({argument}) is not an+b")
            pseudo_classes.append(name)
        position = simple.end()
    if element is None and not classes and not pseudo_classes:
        raise StylesheetError(f"{whole!r}: an empty selector")
    return Compound(element is not None, frozenset(classes), tuple(pseudo_classes))


def _declarations(text: str) -> tuple[tuple[str, Value], ...]:
    declared: list[tuple[str, Value]] = []
    for declaration in text.split(";"):
        if not declaration.strip():
            continue
        name, colon, value = declaration.partition(":")
        name, value = name.strip().lower(), value.strip()
        if not colon or not value:
            raise StylesheetError(f"{declaration.strip()!r} is not property: value")
        if name == "margin":
            lengths = [_offset(v) for v in value.split()]
            if len(lengths) not in _MARGIN_SPREAD:
                raise StylesheetError(f"margin takes one to four lengths, not {value!r}")
            declared += [
                (side, lengths[i]) for side, i in zip(_MARGIN_SIDES, _MARGIN_SPREAD[len(lengths)], strict=True)
            ]
            continue
        read = PROPERTIES.get(name)
        if read is None:
            raise StylesheetError(f"the property {name!r} is not supported")
        declared.append((name, read(value)))
    return tuple(declared)
