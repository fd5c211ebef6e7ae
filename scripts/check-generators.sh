#!/usr/bin/env bash
# `make lint`: openapi-generator (python, typescript-fetch) must generate from openapi.json
# without a single warning. One message is printed by openapi-generator 7.x even for a trivial
# spec and says nothing about ours ("Failed to get the schema name: null"); it is filtered out.
set -euo pipefail
cd "$(dirname "$0")/.."
GENERATOR=${GENERATOR:-.venv/bin/openapi-generator-cli}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
status=0
for generator in python typescript-fetch; do
    log="$OUT/$generator.log"
    "$GENERATOR" generate -i openapi.json -g "$generator" -o "$OUT/$generator" >"$log" 2>&1 || {
        cat "$log"; echo "openapi-generator $generator failed" >&2; exit 1; }
    warnings=$(grep -E '\bWARN' "$log" | grep -v 'Failed to get the schema name: null' || true)
    if [ -n "$warnings" ]; then
        echo "openapi-generator $generator warned:" >&2
        echo "$warnings" >&2
        status=1
    else
        echo "openapi-generator $generator: no warnings"
    fi
done
exit $status
