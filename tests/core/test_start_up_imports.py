"""What starting up loads: ``import anyvideo``, ``connect("local")`` with a token and
``anyvideo --help`` leave the HTTP stack (requests, urllib3) and PyJWT with its
``cryptography`` unimported; only a provider backend, or verifying a local token, needs them."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import jwt
import pytest

from anyvideo.local.tokens import ISSUER, LocalTokens
from anyvideo.models import Role
from anyvideo.sim import Grant, ManualClock, World

HEAVY = ("requests", "urllib3", "jwt", "cryptography", "tenacity")


@pytest.mark.parametrize(
    "code",
    [
        "import anyvideo",
        "import anyvideo; v = anyvideo.connect('local', environ={}); v.tokens.create(v.rooms.create('r'), 'ann')",
        "sys.argv = ['anyvideo', '--help']; from anyvideo.cli import main; main()",
    ],
)
def test_start_up_loads_no_http_stack_and_no_jwt_library(code: str) -> None:
    probe = f"""
import sys
try:
    {code}
except SystemExit:
    pass
loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))
assert not loaded, loaded
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_a_local_token_signed_without_pyjwt_is_a_standard_hs256_jwt() -> None:
    world = World(clock=ManualClock(datetime(2030, 1, 1, tzinfo=UTC)))
    tokens = LocalTokens(world)
    grant = Grant("rm_1", "ann", Role.PUBLISHER, datetime(2030, 1, 1, 1, tzinfo=UTC), data='{"seat": "é"}')
    token = tokens.mint(grant)
    key = tokens._signing_key
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(
        token, key, algorithms=["HS256"], issuer=ISSUER, options={"verify_exp": False, "verify_iat": False}
    )
    assert (claims["sub"], claims["room"], claims["role"], claims["data"]) == ("ann", "rm_1", "publisher", grant.data)
    assert claims["exp"] == int(grant.expires_at.timestamp())
    assert tokens.verify(token) == grant
