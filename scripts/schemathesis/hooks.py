"""Schemathesis hooks for the CI run over /api/openapi.json (scripts/schemathesis.sh).

Authentication: every test case carries a bearer token of the platform admin named by
SD_ADMIN_EMAIL / SD_ADMIN_PASSWORD. The hooks sign in as a client address of their own (see HOOK_CLIENT), every few seconds,
and separately for each `POST /auth/logout` case.

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
# The hooks sign in as a client of their own: the server trusts 127.0.0.1 as a proxy
# (scripts/schemathesis.sh), so this address, not the fuzzer's, is what the sign-in
# throttle counts for them. The run fuzzes `POST /auth/login` from 127.0.0.1 and would
# otherwise (rightly) lock that client out.
HOOK_CLIENT = "192.0.2.10"


def _login():
    body = json.dumps(
        {"email": os.environ["SD_ADMIN_EMAIL"], "password": os.environ["SD_ADMIN_PASSWORD"]}
    ).encode()
    request = urllib.request.Request(
        f"{BASE}/api/v1/auth/login",
        data=body,
        headers={"Content-Type": "application/json", "X-Forwarded-For": HOOK_CLIENT},
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


_create_role(_login(), os.environ.get("SD_ROLE_NAME", "schemathesis"))


# Signed in afresh every few seconds: the run legitimately ends the admin's sessions now and
# then (`POST /users/{id}/mfa/reset` on the admin's own id, reached through inferred links).
@schemathesis.auth(refresh_interval=3)
class AdminToken:
    def get(self, case, context):
        return _login()

    def set(self, case, data, context):
        # `POST /auth/logout` revokes the session it is called with: each of its cases signs
        # in on its own rather than revoking the token the other operations share.
        token = _login() if case.path.endswith("/auth/logout") else data
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {token}"
