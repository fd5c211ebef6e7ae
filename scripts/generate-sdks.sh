#!/usr/bin/env bash
# `make sdk`: regenerate the shipped SDKs from openapi.json (commit the result; a test checks
# that the committed clients equal a fresh generation).
#
#   scripts/generate-sdks.sh [OUTPUT_DIR]     (default: clients/)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-clients}
BIN=${BIN:-.venv/bin}
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
export PATH="$BIN:$PATH"   # openapi-python-client formats its output with our ruff

mkdir -p "$OUT/typescript/src"
"$BIN/openapi-python-client" generate --path openapi.json --meta setup \
    --config clients/python-config.yaml --custom-template-path clients/python-templates \
    --output-path "$OUT/python" --overwrite >/dev/null
node_modules/.bin/openapi-typescript openapi.json -o "$OUT/typescript/src/schema.ts" \
    >/dev/null 2>&1
echo "SDKs written to $OUT/python and $OUT/typescript/src/schema.ts"
