#!/usr/bin/env bash
# End-to-end check of `npm start` / `npm stop` as a user runs them, in a fresh
# copy of the repository (like a clone: no dist/, data/ or certs/ yet):
#   1. npm start brings up Redis, ZooKeeper, three chat nodes and the gateway;
#      the gateway lists three nodes.
#   2. Two terminal clients, through the gateway: user1 → user2 direct
#      message; both join room1 and exchange room messages.
#   3. A second npm start starts nothing new (same pm2 apps, same pids).
#   4. npm stop leaves no chat-* pm2 app and no open port of ours.
#
# usage: scripts/e2e-start.sh [--worktree]
#   default     copy of the committed HEAD (what a clone gets)
#   --worktree  copy of the working tree instead (tracked and untracked files, minus .gitignore'd)
# env: E2E_KEEP=1 keeps the copy (its path is printed) for a look at data/ and logs.
#
# It never touches a running cluster: it refuses to start when chat-* pm2 apps
# exist or one of the ports below is taken. Takes about a minute.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
PORTS=(8080 9001 9002 9003 9101 9102 9103 9201 9202 9203 9280 9281 9301 9302 9303 6390 2190)
GATEWAY=http://127.0.0.1:8080
source_tree=head
case "${1:-}" in
  "") ;;
  --worktree) source_tree=worktree ;;
  -h | --help)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "e2e-start: unknown argument '$1' (usage: $0 [--worktree])" >&2
    exit 2
    ;;
esac

say() { printf '\n== %s\n' "$*"; }
fail() {
  echo "e2e-start: FAILED: $*" >&2
  exit 1
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pm2() { "$REPO/node_modules/.bin/pm2" "$@"; }
# "name pid" of every chat-* pm2 app, sorted (pm2 prints daemon start-up lines before the JSON).
chat_apps() {
  pm2 jlist 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const json = s.slice(Math.max(0, s.lastIndexOf("\n["))).trim();
      const apps = json.startsWith("[") ? JSON.parse(json) : [];
      const lines = apps.filter((a) => a.name.startsWith("chat-")).map((a) => `${a.name} ${a.pid} ${a.pm2_env.status}`);
      console.log(lines.sort().join("\n"));
    });'
}

# --- preconditions: never clobber a cluster or services someone is running
cd "$REPO"
bash scripts/ensure-deps.sh
pm2_home="${PM2_HOME:-$HOME/.pm2}"
daemon_was_running=0
if [[ -f "$pm2_home/pm2.pid" ]] && kill -0 "$(cat "$pm2_home/pm2.pid")" 2>/dev/null; then daemon_was_running=1; fi
work=""
started=0
cleanup() {
  local status=$?
  if [[ $started == 1 ]]; then
    (cd "$work" && npm stop >/dev/null 2>&1) || true
  fi
  # pm2 starts its daemon on first use: stop it again if it was ours and has nothing else to run.
  if [[ $daemon_was_running == 0 ]] && [[ -z "$(pm2 jlist 2>/dev/null | tr -d '[:space:][]')" ]]; then
    pm2 kill >/dev/null 2>&1 || true
  fi
  if [[ -n "$work" ]]; then
    if [[ "${E2E_KEEP:-}" == 1 ]]; then echo "e2e-start: kept $work"; else rm -rf "$work"; fi
  fi
  exit "$status"
}
trap cleanup EXIT
existing="$(chat_apps)"
if [[ -n "$existing" ]]; then
  echo "e2e-start: chat-* pm2 apps are already running; stop them first (npm stop) or run this elsewhere:" >&2
  echo "$existing" | sed 's/^/  /' >&2
  exit 2
fi
busy=()
for port in "${PORTS[@]}"; do port_open "$port" && busy+=("$port"); done
if [[ ${#busy[@]} -gt 0 ]]; then
  echo "e2e-start: ports in use by something else: ${busy[*]}; the dev cluster needs them" >&2
  exit 2
fi

# --- a clone-like copy; node_modules is shared (a symlink) to skip a reinstall
work="$(mktemp -d "${TMPDIR:-/tmp}/chat-e2e-XXXXXX")"
if [[ $source_tree == head ]]; then
  git -C "$REPO" archive HEAD | tar -x -C "$work"
else
  git -C "$REPO" ls-files -z --cached --others --exclude-standard |
    (cd "$REPO" && tar --null --no-recursion -T - -cf - 2>/dev/null) | tar -x -C "$work"
fi
ln -s "$REPO/node_modules" "$work/node_modules"
# ensure-deps compares the lock file's age with the installed tree's: the copy is as old as the install.
touch -r "$REPO/node_modules/.package-lock.json" "$work/package-lock.json" 2>/dev/null || true
cd "$work"
echo "e2e-start: working in $work (from $source_tree)"

# --- 1. npm start
say "npm start"
unset REDIS_URL ZK_HOSTS MONGO_URL GATEWAY_PORT SQLITE_PATH
started=1
t0=$SECONDS
npm start
echo "(npm start took $((SECONDS - t0)) s)"
servers="$(node -e '
  fetch(process.argv[1] + "/servers?all=1").then((r) => r.json()).then((b) => {
    console.log((b.servers || []).map((s) => s.nodeId).sort().join(" "));
  }).catch((e) => { console.error(e.message); process.exit(1); });' "$GATEWAY")"
[[ "$servers" == "node1 node2 node3" ]] || fail "the gateway lists '$servers' instead of node1 node2 node3"
echo "gateway lists: $servers"

# --- 1b. metrics on every node and gateway instance, the console with the token npm start made
say "metrics and console"
node -e '
  const [token] = process.argv.slice(1);
  const check = async (url, init, want) => {
    const res = await fetch(url, init);
    const body = await res.text();
    if (res.status !== 200 || !body.includes(want)) throw new Error(`${url}: ${res.status}, no ${want}`);
    console.log(`  ${url} ok`);
  };
  (async () => {
    for (const port of [9201, 9202, 9203]) await check(`http://127.0.0.1:${port}/metrics`, {}, "chat_cluster_is_leader");
    for (const port of [9280, 9281]) await check(`http://127.0.0.1:${port}/metrics`, {}, "chat_gateway_nodes_available");
    const auth = { headers: { authorization: `Bearer ${token}` } };
    await check("http://127.0.0.1:9301/api/cluster", auth, "\"leaderId\"");
  })().catch((e) => { console.error(e.message); process.exit(1); });' "$(cat data/admin-token)" ||
  fail "metrics or console not served as the README says"

# --- 2. two clients through the gateway
say "two terminal clients"
export CHAT_PASSWORD=password
client() { node dist/src/bin/client.js --gateway "$GATEWAY" "$@" </dev/null; }
wait_for_line() { # file pattern seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -q -- "$2" "$1" && return 0
    sleep 0.1
  done
  cat "$1" >&2
  fail "no line matching '$2' in $1 within $3 s"
}
run_pair() { # listener-user sender-user expect-count listener-send sender-send...
  local listener=$1 sender=$2 expect=$3 listen_send=$4
  shift 4
  local out="$work/$listener.out"
  client --user "$listener" --send "$listen_send" --listen 30 --expect "$expect" >"$out" 2>&1 &
  local pid=$!
  wait_for_line "$out" "joined #room1" 20
  local sender_args=()
  for line in "$@"; do sender_args+=(--send "$line"); done
  local code=0
  client --user "$sender" "${sender_args[@]}" >"$work/$sender.out" 2>&1 || code=$?
  sed "s/^/  $sender| /" "$work/$sender.out"
  [[ $code == 0 ]] || fail "$sender's client exited with $code"
  wait "$pid" || code=$?
  sed "s/^/  $listener| /" "$out"
  [[ $code == 0 ]] || fail "$listener's client exited with $code"
}
run_pair user2 user1 2 "/join room1" "/join room1" "/chat user2 hello from user1" "/room room1 hi room1, user1 here"
grep -q "user1 → you: hello from user1" "$work/user2.out" || fail "user2 did not get the direct message"
grep -q "#room1 user1: hi room1, user1 here" "$work/user2.out" || fail "user2 did not get the room message"
run_pair user1 user2 1 "/join room1" "/room room1 hi user1, user2 here"
grep -q "#room1 user2: hi user1, user2 here" "$work/user1.out" || fail "user1 did not get the room message"

# --- 3. a second npm start starts nothing
say "second npm start"
before="$(chat_apps)"
npm start
after="$(chat_apps)"
echo "$after" | sed 's/^/  /'
[[ "$before" == "$after" ]] || fail "the second npm start changed the pm2 apps:
before:
$before
after:
$after"

# --- 4. npm stop
say "npm stop"
npm stop
started=0
left="$(chat_apps)"
[[ -z "$left" ]] || fail "chat-* pm2 apps remain after npm stop: $left"
for ((i = 0; i < 100; i++)); do
  open=()
  for port in "${PORTS[@]}"; do port_open "$port" && open+=("$port"); done
  [[ ${#open[@]} -eq 0 ]] && break
  sleep 0.1
done
[[ ${#open[@]} -eq 0 ]] || fail "ports still open 10 s after npm stop: ${open[*]}"

say "e2e-start: PASS (${SECONDS} s)"
