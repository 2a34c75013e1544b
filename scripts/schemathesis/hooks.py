"""Schemathesis hooks for the CI run over /api/openapi.json (scripts/schemathesis.sh).

Authentication: every test case carries a bearer token of the platform admin named by
SD_ADMIN_EMAIL / SD_ADMIN_PASSWORD. The tokens are minted when this module loads, before any
test case runs: the run itself fuzzes `POST /auth/login` with wrong credentials from the same
address, which (rightly) throttles sign-ins from it, so signing in later could fail.
`POST /auth/logout` revokes the session it is called with, so each of its cases takes a token
of its own from a pool instead of revoking the one the other operations share.

Test data: a custom role named SD_ROLE_NAME ("schemathesis") exists before the run, so
`PUT /roles/{name}` (which schemathesis.toml points at it) edits a real role instead of
answering 404 for every generated name.
"""

import json
import os
import urllib.request

import schemathesis
from hypothesis.internal import lambda_sources

# CPython 3.11.7's `ast.parse` can raise "AST constructor recursion depth mismatch" when
# called deep in a stack (fixed in later 3.11 releases). Hypothesis parses source only to
# describe a lambda in a strategy's repr; a plain description keeps the run going.
_describe_lambda = lambda_sources.lambda_description


def _lambda_description(f):
    try:
        return _describe_lambda(f)
    except SystemError:
        return "lambda: <source unavailable>"


lambda_sources.lambda_description = _lambda_description

BASE = os.environ["SD_BASE_URL"]
LOGOUT_POOL = int(os.environ.get("SD_LOGOUT_POOL", "80"))


def _login():
    body = json.dumps(
        {"email": os.environ["SD_ADMIN_EMAIL"], "password": os.environ["SD_ADMIN_PASSWORD"]}
    ).encode()
    request = urllib.request.Request(
        f"{BASE}/api/v1/auth/login",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["access_token"]


def _create_role(token, name):
    body = json.dumps({"name": name, "permissions": [{"permission": "incident:read"}]}).encode()
    request = urllib.request.Request(
        f"{BASE}/api/v1/roles",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


SHARED = _login()
POOL = [_login() for _ in range(LOGOUT_POOL)]
_create_role(SHARED, os.environ.get("SD_ROLE_NAME", "schemathesis"))


@schemathesis.auth(refresh_interval=None)
class AdminToken:
    def get(self, case, context):
        return SHARED

    def set(self, case, data, context):
        token = data
        if case.path.endswith("/auth/logout"):
            token = POOL.pop() if POOL else SHARED
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {token}"
