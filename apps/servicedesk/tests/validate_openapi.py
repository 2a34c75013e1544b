#!/usr/bin/env python3
"""Validates an OpenAPI document with openapi-spec-validator (PyPI).

    python3 validate_openapi.py openapi.json      # a file saved from GET /api/openapi.json
    curl -s localhost:8080/api/openapi.json | python3 validate_openapi.py -

Exit status: 0 valid, 1 invalid, 2 usage error or openapi-spec-validator missing.
"""

import json
import sys


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        from openapi_spec_validator import validate
    except ImportError:
        try:  # openapi-spec-validator < 0.7
            from openapi_spec_validator import validate_spec as validate
        except ImportError:
            print("openapi-spec-validator is not installed: pip install openapi-spec-validator", file=sys.stderr)
            return 2
    source = sys.stdin if argv[1] == "-" else open(argv[1], encoding="utf-8")
    with source:
        try:
            spec = json.load(source)
        except json.JSONDecodeError as e:
            print(f"not JSON: {e}", file=sys.stderr)
            return 1
    try:
        validate(spec)
    except Exception as e:  # the validator raises several exception types
        # jsonschema errors carry the failing rule and where; their str() dumps the whole schema.
        message = getattr(e, "message", None) or str(e).splitlines()[0]
        where = "/".join(str(p) for p in getattr(e, "absolute_path", None) or [])
        print(f"invalid OpenAPI document at /{where}: {message}", file=sys.stderr)
        return 1
    paths = spec.get("paths", {})
    operations = sum(
        1
        for item in paths.values()
        for method in item
        if method in ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    )
    print(f"valid OpenAPI {spec.get('openapi')} document: {len(paths)} paths, {operations} operations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
