"""A callback's form is decoded as the standard library decodes it (hypothesis)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from anyvideo.webhooks import WebhookRequest, form_fields

#: Text of the characters that mean something in a form, and percent-encodings good and bad.
FORMS = st.lists(
    st.sampled_from(["&", "=", "+", "%", "%2", "%20", "%2B", "%C3%A9", "%E2%82", "%zz", "a", "é", " ", ";"])
    | st.text(max_size=4),
    max_size=30,
).map("".join)


@settings(max_examples=500, derandomize=True)
@given(source=FORMS)
def test_a_form_is_decoded_as_parse_qsl_decodes_it(source: str) -> None:
    assert form_fields(source) == dict(parse_qsl(source, keep_blank_values=True))


@settings(max_examples=200, derandomize=True)
@given(params=st.dictionaries(st.text(), st.text()))
def test_an_encoded_form_decodes_to_its_fields(params: dict[str, str]) -> None:
    body = urlencode(params)
    assert WebhookRequest("POST", "https://app.example.com/hook", {}, body).form() == params
    assert WebhookRequest("GET", f"https://app.example.com/hook?{body}", {}, b"").form() == params
