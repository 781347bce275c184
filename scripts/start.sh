#!/usr/bin/env bash
# `npm start`: install what is missing, build, then bring the cluster up under pm2.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
if [ -z "${REDIS_URL:-}${REDIS_CLUSTER_NODES:-}${REDIS_SENTINELS:-}" ] || [ -z "${ZK_HOSTS:-}" ]; then
  bash scripts/install-services.sh
fi
bash scripts/ensure-built.sh
exec node dist/src/bin/dev-cluster.js start
