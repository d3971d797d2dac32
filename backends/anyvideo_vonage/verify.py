"""Phone verification through Vonage's Verify API as ``vonage_verify.yml`` (1.1.7)
describes it: ``POST /verify/json`` sends a code, ``POST /verify/check/json``
checks one. The SDK's client for it is ``vonage_verify_legacy`` (``video.native
.verify_legacy``), authenticating with the account's API key and secret
(``api_key``/``api_secret``, ``VONAGE_API_KEY``/``VONAGE_API_SECRET``). The
newer Verify v2 (``/v2/verify``) has no specification here, so anyvideo does
not use it.

Verify answers every request with a 200 and a ``status``: ``"0"`` is success,
``"16"`` a wrong code (the request stays open), ``"17"`` the third wrong code
(the request is over), ``"6"`` no such open request; any other is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vonage_verify_legacy import VerifyRequest

from anyvideo.errors import ConfigurationError, InvalidRequest, NotFound, ProviderError
from anyvideo.messaging import Verification, VerificationSpec, VerificationStatus
from anyvideo.retry import Safety
from anyvideo_vonage.transport import Transport

__all__ = ["CHECKED", "check", "start"]

#: A check's ``status`` → where the verification stands (other statuses are errors).
CHECKED: Mapping[str, VerificationStatus] = {
    "0": VerificationStatus.VERIFIED,
    "16": VerificationStatus.PENDING,
    "17": VerificationStatus.FAILED,
}
#: Statuses that say the request itself was wrong (the spec's 2 and 3): bad input.
_BAD_INPUT = frozenset({"2", "3"})


def _needs_credentials(transport: Transport) -> None:
    if not transport.has_api_secret:
        raise ConfigurationError(
            "vonage: phone verification uses the Verify API, which takes the account's API key and secret: "
            "set api_key and api_secret (VONAGE_API_KEY, VONAGE_API_SECRET)"
        )


def _status(answer: Mapping[str, Any], what: str) -> str:
    status = answer.get("status")
    if not isinstance(status, str):
        raise ProviderError(f"vonage: the Verify answer to {what} has no status", provider="vonage")
    return status


def _refused(answer: Mapping[str, Any], status: str, field: str) -> Exception:
    text = str(answer.get("error_text") or f"status {status}")
    if status in _BAD_INPUT:
        return InvalidRequest(field, f"Vonage Verify refused it: {text}")
    return ProviderError(f"vonage: Verify answered status {status}: {text}", provider="vonage")


def _post(transport: Transport, path: str, form: dict[str, Any]) -> Any:
    """The request the SDK's ``verify_legacy`` methods send (its HTTP client, Basic auth, a form),
    without their raising on a non-zero status: the status is what anyvideo reads."""
    client = transport.sdk().verify_legacy.http_client
    return client.post(client.api_host, path, form, "basic", "form")


def start(transport: Transport, spec: VerificationSpec) -> Verification:
    """Send a code to ``spec.number``; the verification, pending."""
    _needs_credentials(transport)
    request = VerifyRequest(number=spec.number.removeprefix("+"), brand=spec.brand, code_length=spec.code_length)
    form = request.model_dump(by_alias=True, exclude_none=True)
    answer = transport.run("start verification", lambda: _post(transport, "/verify/json", form), safety=Safety.UNSAFE)
    status = _status(answer, "start verification")
    if status != "0":
        raise _refused(answer, status, "number")
    return Verification(str(answer["request_id"]), "vonage", VerificationStatus.PENDING, spec.number)


def check(transport: Transport, verification_id: str, code: str) -> Verification:
    """Check ``code``: verified, pending after a wrong code, failed after the last."""
    _needs_credentials(transport)
    form = {"request_id": verification_id, "code": code}
    answer = transport.run(
        "check verification", lambda: _post(transport, "/verify/check/json", form), safety=Safety.UNSAFE
    )
    status = _status(answer, "check verification")
    if status == "6":
        raise NotFound(f"vonage: no open verification {verification_id!r} (verified, failed or never started)")
    if status not in CHECKED:
        raise _refused(answer, status, "code")
    return Verification(verification_id, "vonage", CHECKED[status])
