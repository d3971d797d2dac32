"""Vonage emulator: custom layout stylesheets read as the provider documents them — what is
refused, the box each class list gets by the cascade, what is left undetermined — and the
composed archive that records where each stream was shown."""

from __future__ import annotations

import pytest
import requests
from vonage_http_client.errors import HttpRequestError
from vonage_video.models import ComposedLayout, CreateArchiveRequest, StreamLayout, StreamLayoutOptions

from anyvideo.testing import placements
from anyvideo_vonage.emulator.stylesheet import StylesheetError, Undetermined, parse

SD = (640, 480)
HD = (1280, 720)

#: The documentation's samples: each is read.
DOCUMENTED = [
    "stream.instructor {position: absolute; width: 100%;  height:50%;}",
    "stream.main { position: absolute; left: 0; top: 0; width: 100%; height: 100%; z-index: 100; }"
    " stream.lower-left { position: absolute; left: 10%; bottom: 10%; width: 20%; height: 20%; z-index: 200; }",
    "stream { float: left; } stream:first-child:nth-last-child(1) { width: 100%; height: 100%; }"
    " stream:first-child:nth-last-child(2),"
    " stream:first-child:nth-last-child(2) ~ stream { width: 50%; height: 100%; }",
    "stream { float:left; margin-top: 60%; width: 20%; height: 20%; }"
    " stream.focus { position: absolute; top: 0; left: 0; margin-top: 0px; height: 80%; width: 100%; }",
    "/* a comment */ .a.b, .c + .d { display: inline-block; object-fit: cover; overflow: hidden; clear: both; }",
    "stream {}",
]

REFUSED = [
    ("* { width: 10%; }", "universal selector"),
    ("stream .a { width: 10%; }", "descendant"),
    ("stream > .a { width: 10%; }", "child combinators"),
    ("#main { width: 10%; }", "id selectors"),
    ("stream[title] { width: 10%; }", "attribute selectors"),
    ("stream::before { width: 10%; }", "pseudo-elements"),
    ("stream:hover { width: 10%; }", "pseudo-class :hover"),
    ("stream:nth-child(x) { width: 10%; }", "not an\\+b"),
    ("archive { width: 10%; }", "stream elements only"),
    ("div.a { width: 10%; }", "stream elements only"),
    ("stream { display: none; }", "'none' is not one of"),
    ("stream { visibility: hidden; }", "'visibility' is not supported"),
    ("stream { width: -10%; }", "cannot be negative"),
    ("stream { width: 10em; }", "not a length"),
    ("stream { width: 10; }", "needs a unit"),
    ("stream { left: auto; }", "not a length"),
    ("stream { z-index: -1; }", "z-index is a whole number"),
    ("stream { position: fixed; }", "'fixed' is not one of"),
    ("stream { width: 10% !important; }", "not a length"),
    ("stream { margin: 1px 2px 3px 4px 5px; }", "one to four lengths"),
    ("stream { width }", "not property: value"),
    ("stream { width: 10%; ", "selectors { declarations }"),
    ("stream { a { width: 1px } }", "do not nest"),
    ("@media screen { stream { width: 10%; } }", "do not nest|at-rules"),
    (", stream { width: 10%; }", "empty selector"),
    ("stream { width: 10%; } /* unclosed", "unclosed comment"),
]

BOX = "position: absolute; left: 70%; top: 0%; width: 30%; height: 50%;"

#: (stylesheet, the stream's classes, canvas, its box or None when it is clipped away)
BOXES = [
    (f"stream.screen {{ {BOX} }}", ["screen"], SD, (0.7, 0.0, 0.3, 0.5)),
    (f".screen {{ {BOX} }}", ["other", "screen"], SD, (0.7, 0.0, 0.3, 0.5)),
    (f".a.b {{ {BOX} }}", ["b", "a"], SD, (0.7, 0.0, 0.3, 0.5)),
    ("stream { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }", [], SD, (0, 0, 1, 1)),
    # the cascade: a more specific rule wins wherever it stands, then the later of two equals
    (
        f"stream.a {{ {BOX} }} stream {{ position: absolute; left: 0; top: 0; width: 10%; height: 10%; }}",
        ["a"],
        SD,
        (0.7, 0.0, 0.3, 0.5),
    ),
    (f".a {{ {BOX} }} .b {{ left: 0; }}", ["a", "b"], SD, (0.0, 0.0, 0.3, 0.5)),
    (f".b {{ left: 0; }} .a {{ {BOX} }}", ["a", "b"], SD, (0.7, 0.0, 0.3, 0.5)),
    (f".a.b {{ {BOX} }} .a {{ left: 0; }}", ["a", "b"], SD, (0.7, 0.0, 0.3, 0.5)),
    # pixels, right and bottom, margins (a vertical margin's % is of the width), min and max sizes
    (
        "stream { position: absolute; left: 64px; top: 48px; width: 320px; height: 240px; }",
        [],
        SD,
        (0.1, 0.1, 0.5, 0.5),
    ),
    ("stream { position: absolute; right: 10%; bottom: 10%; width: 20%; height: 20%; }", [], SD, (0.7, 0.7, 0.2, 0.2)),
    ("stream { position: absolute; left: 10%; right: 10%; top: 0; bottom: 50%; }", [], SD, (0.1, 0.0, 0.8, 0.5)),
    (
        "stream { position: absolute; left: 0; right: 50%; width: 10%; top: 0; height: 10%; }",
        [],
        SD,
        (0.0, 0.0, 0.1, 0.1),
    ),
    (
        "stream { position: absolute; left: 0; top: 0; width: 50%; height: 50%; margin: 10px 64px; }",
        [],
        SD,
        (0.1, 10 / 480, 0.5, 0.5),
    ),
    (
        "stream { position: absolute; left: 0; top: 0; width: 50%; height: 10%; margin-top: 10%; }",
        [],
        SD,
        (0.0, 64 / 480, 0.5, 0.1),
    ),
    (
        "stream { position: absolute; left: 0; top: 0; width: 90%; max-width: 50%; height: 1px; min-height: 25%; }",
        [],
        SD,
        (0.0, 0.0, 0.5, 0.25),
    ),
    ("stream { position: absolute; left: 0; top: 0; width: 640px; height: 360px; }", [], HD, (0, 0, 0.5, 0.5)),
    # the container clips: what lies outside is not shown
    ("stream { position: absolute; left: 100%; top: 100%; width: 1%; height: 1%; }", [], SD, None),
    ("stream { position: absolute; left: 0; top: 0; width: 0; height: 10%; }", [], SD, None),
    ("stream { position: absolute; left: 75%; top: -25%; width: 50%; height: 50%; }", [], SD, (0.75, 0.0, 0.25, 0.25)),
]

#: (stylesheet, the stream's classes): what the stylesheet alone does not say.
UNDETERMINED = [
    ("stream.a { width: 50%; height: 50%; }", ["a"]),  # static: the flow places it
    ("stream { position: relative; left: 0; top: 0; width: 50%; height: 50%; }", []),
    ("stream { position: absolute; bottom: 0; width: 20%; height: 20%; }", []),  # no left or right
    ("stream { position: absolute; left: 0; width: 20%; height: 20%; }", []),  # no top or bottom
    (f"stream {{ {BOX} }} stream:first-child {{ left: 0; }}", []),
    (f"stream {{ {BOX} }} .a + .b {{ left: 0; }}", ["b"]),
    (f"stream {{ {BOX} }} .a ~ stream {{ left: 0; }}", []),
]


@pytest.mark.parametrize("css", DOCUMENTED)
def test_the_documented_css_is_read(css) -> None:
    assert parse(css).rules


@pytest.mark.parametrize(("css", "why"), REFUSED)
def test_what_the_documentation_does_not_support_is_refused(css, why) -> None:
    with pytest.raises(StylesheetError, match=why):
        parse(css)


@pytest.mark.parametrize(("css", "classes", "canvas", "box"), BOXES)
def test_a_stream_fills_the_box_its_classes_give_it(css, classes, canvas, box) -> None:
    placed = parse(css).box(classes, canvas)
    assert placed == (None if box is None else pytest.approx(box))


@pytest.mark.parametrize(("css", "classes"), UNDETERMINED)
def test_what_depends_on_other_streams_is_never_guessed(css, classes) -> None:
    with pytest.raises(Undetermined):
        parse(css).box(classes, SD)


def test_a_rule_whose_subject_the_stream_cannot_be_does_not_stop_it() -> None:
    css = f"stream.a {{ {BOX} }} .x + .y {{ left: 0; }} stream:first-child.z {{ left: 0; }}"
    assert parse(css).box(["a"], SD) == pytest.approx((0.7, 0.0, 0.3, 0.5))


# --- through the face --------------------------------------------------------------------


def test_an_unsupported_stylesheet_is_the_providers_400(vonage_video, vonage_session, vonage_join) -> None:
    vonage_join(vonage_session).publish()
    layout = ComposedLayout(type="custom", stylesheet="stream { display: none; }")
    with pytest.raises(HttpRequestError) as refused:
        vonage_video.start_archive(CreateArchiveRequest(session_id=vonage_session, layout=layout))
    assert refused.value.response.status_code == 400
    assert "invalid layout options" in refused.value.response.json()["message"]


def test_a_composed_archive_records_where_its_stylesheet_put_each_stream(
    vonage_server, vonage_video, vonage_session, vonage_join
) -> None:
    ann, bob = vonage_join(vonage_session, "ann"), vonage_join(vonage_session, "bob", initial_layout_class_list=["b"])
    main, side, hidden = ann.publish(name="main"), bob.publish(name="side"), bob.publish(name="hidden")
    css = (
        "stream { position: absolute; left: 100%; top: 100%; width: 1%; height: 1%; }"
        " stream.main { position: absolute; left: 0; top: 0; width: 75%; height: 100%; }"
        " .b { position: absolute; left: 75%; top: 0; width: 25%; height: 50%; }"
    )
    request = CreateArchiveRequest(session_id=vonage_session, layout=ComposedLayout(type="custom", stylesheet=css))
    archive = vonage_video.start_archive(request)
    vonage_video.change_stream_layout(
        vonage_session,
        StreamLayoutOptions(
            items=[StreamLayout(id=main, layout_class_list=["main"]), StreamLayout(id=hidden, layout_class_list=[])]
        ),
    )
    vonage_server.control.advance(10)
    vonage_video.stop_archive(archive.id)
    vonage_server.control.advance(2)
    file = requests.get(vonage_video.get_archive(archive.id).url, timeout=10).content
    assert placements(file) == {main: pytest.approx((0, 0, 0.75, 1)), side: pytest.approx((0.75, 0, 0.25, 0.5))}


def test_a_preset_records_no_placements(vonage_server, vonage_video, vonage_session, vonage_join) -> None:
    vonage_join(vonage_session).publish()
    archive = vonage_video.start_archive(
        CreateArchiveRequest(session_id=vonage_session, layout=ComposedLayout(type="pip"))
    )
    vonage_video.stop_archive(archive.id)
    vonage_server.control.advance(2)
    assert placements(requests.get(vonage_video.get_archive(archive.id).url, timeout=10).content) == {}
