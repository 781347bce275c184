#!/usr/bin/env bash
# Builds dist/ when it is missing or older than any source file; quiet otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
stamp=dist/.built
if [ -f "$stamp" ] && [ -z "$(find src gen bench tsconfig.json tsconfig.build.json package.json -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
npm run --silent build
touch "$stamp"
