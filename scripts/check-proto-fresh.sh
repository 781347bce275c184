#!/usr/bin/env bash
# Fails when gen/ is not what `buf generate` makes from proto/ (someone edited
# a .proto and forgot `npm run proto`, or edited gen/ by hand).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tree"
cp -r proto buf.yaml buf.gen.yaml "$tmp/tree/"
[ -f buf.lock ] && cp buf.lock "$tmp/tree/"
ln -s "$PWD/node_modules" "$tmp/tree/node_modules"
(cd "$tmp/tree" && node_modules/.bin/buf generate)
if ! diff -r "$tmp/tree/gen" gen >"$tmp/diff.txt"; then
  echo "gen/ is stale: run 'npm run proto' and commit the result. Differences:" >&2
  head -40 "$tmp/diff.txt" >&2
  exit 1
fi
echo "gen/ is up to date with proto/"
