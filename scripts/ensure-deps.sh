#!/usr/bin/env bash
# Installs node_modules when it is missing or older than the lock file
# (e.g. after a pull that changed dependencies). Quiet when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm rewrites node_modules/.package-lock.json on every install, so its age is
# the age of the installed tree.
installed=node_modules/.package-lock.json
[[ -f "$installed" ]] || installed=node_modules

if [[ -f package-lock.json ]]; then
  if [[ ! -e node_modules || package-lock.json -nt "$installed" ]]; then
    echo "ensure-deps: node_modules is missing or older than package-lock.json; running npm ci"
    npm ci --no-audit --no-fund
  fi
elif [[ ! -e node_modules || package.json -nt "$installed" ]]; then
  echo "ensure-deps: no package-lock.json; running npm install"
  npm install --no-audit --no-fund
fi
