#!/usr/bin/env bash
# Fails when proto/ breaks the protocol of the previous commit of main
# (`buf breaking`, FILE rules of buf.yaml): a client or node built from that
# commit must keep working against this one. The base is the commit this tree
# forked from main (on a branch), or main's parent (on main itself, as in CI).
# usage: scripts/check-proto-breaking.sh [<commit>]
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-}"
if [[ -z "$base" ]]; then
  main=""
  for ref in main origin/main; do
    if git rev-parse -q --verify "$ref^{commit}" >/dev/null; then
      main="$ref"
      break
    fi
  done
  if [[ -z "$main" ]]; then
    echo "check-proto-breaking: no main branch to compare with; skipped" >&2
    exit 0
  fi
  base="$(git merge-base HEAD "$main")"
  if [[ "$base" == "$(git rev-parse HEAD)" ]]; then
    if ! base="$(git rev-parse -q --verify HEAD~1)"; then
      echo "check-proto-breaking: main has a single commit; nothing to compare with" >&2
      exit 0
    fi
  fi
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# git archive works in worktrees and in shallow clones that have the commit.
git archive "$base" buf.yaml proto | tar -x -C "$tmp"
node_modules/.bin/buf breaking --against "$tmp"
echo "proto/ keeps the protocol of $(git rev-parse --short "$base") (buf breaking)"
