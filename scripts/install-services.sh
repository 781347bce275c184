#!/usr/bin/env bash
# Makes sure the servers the tests and the dev cluster launch are installed:
# redis-server with redis-cli (Redis Cluster set-up) and redis-sentinel, ZooKeeper
# (jar + java), and with --with-rabbitmq, rabbitmq-server.
# With --with-test-tools also what the operator tests drive: promtool (Debian
# package prometheus) and chromium (the console's browser test, /usr/bin/chromium).
# tmux (the terminal the interactive client test drives) is optional: installed
# along with the others when possible, otherwise that one test is skipped.
# Quiet when everything is present. As root with apt-get, installs what is
# missing; otherwise prints the commands to run and exits non-zero.
#
# Our launchers (src/devservices) spawn their own servers on free ports and
# never use the system services these packages may start on install.
set -euo pipefail

with_rabbitmq=0
with_test_tools=0
for arg in "$@"; do
  case "$arg" in
    --with-rabbitmq) with_rabbitmq=1 ;;
    --with-test-tools) with_test_tools=1 ;;
    -h | --help)
      echo "usage: $0 [--with-rabbitmq] [--with-test-tools]"
      exit 0
      ;;
    *)
      echo "install-services: unknown argument '$arg' (usage: $0 [--with-rabbitmq] [--with-test-tools])" >&2
      exit 2
      ;;
  esac
done

have_redis() { command -v redis-server >/dev/null 2>&1; }
# redis-cli creates the test Redis Cluster (Debian: redis-tools, a dependency of redis-server).
have_redis_cli() { command -v redis-cli >/dev/null 2>&1; }
have_redis_sentinel() { command -v redis-sentinel >/dev/null 2>&1; }

have_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then return 0; fi
  command -v java >/dev/null 2>&1
}

# The same places src/devservices/zookeeper-classpath.ts looks.
have_zookeeper_jar() {
  if [[ -n "${ZOOKEEPER_JAR:-}" ]]; then
    local first="${ZOOKEEPER_JAR%%:*}"
    [[ -e "${first%/\*}" ]] && return 0
    return 1
  fi
  if [[ -n "${ZOOKEEPER_HOME:-}" && -d "$ZOOKEEPER_HOME/lib" ]]; then return 0; fi
  if [[ -f /usr/share/java/zookeeper.jar ]]; then return 0; fi
  local prefix
  for prefix in "${HOMEBREW_PREFIX:-}" /opt/homebrew /usr/local; do
    if [[ -n "$prefix" && -d "$prefix/opt/zookeeper/libexec/lib" ]]; then return 0; fi
  done
  return 1
}

have_rabbitmq() { command -v rabbitmq-server >/dev/null 2>&1 || [[ -x /usr/sbin/rabbitmq-server ]]; }

missing_packages() {
  local packages=()
  have_redis || packages+=(redis-server)
  have_redis_cli || packages+=(redis-tools)
  have_redis_sentinel || packages+=(redis-sentinel)
  if ! have_zookeeper_jar; then
    packages+=(zookeeper) # depends on a JRE
  elif ! have_java; then
    packages+=(default-jre-headless)
  fi
  if [[ "$with_rabbitmq" == 1 ]] && ! have_rabbitmq; then packages+=(rabbitmq-server); fi
  if [[ "$with_test_tools" == 1 ]]; then
    command -v promtool >/dev/null 2>&1 || packages+=(prometheus)
    [[ -x /usr/bin/chromium ]] || packages+=(chromium)
  fi
  echo "${packages[@]}"
}

have_tmux() { command -v tmux >/dev/null 2>&1; }
can_apt() { [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; }

if [[ -n "${ZOOKEEPER_JAR:-}" ]] && ! have_zookeeper_jar; then
  echo "install-services: ZOOKEEPER_JAR is set to '$ZOOKEEPER_JAR', which does not exist; fix or unset it" >&2
  exit 1
fi

read -r -a missing <<<"$(missing_packages)"
if ! have_tmux; then
  if can_apt; then
    missing+=(tmux)
  else
    echo "install-services: tmux is not installed; the interactive terminal-client test will be skipped (apt-get install tmux / brew install tmux)" >&2
  fi
fi
if [[ ${#missing[@]} -eq 0 ]]; then exit 0; fi

if can_apt; then
  echo "install-services: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep package scripts from starting system services (we never use them),
  # unless the machine already has its own policy.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  read -r -a still_missing <<<"$(missing_packages)"
  have_tmux || still_missing+=(tmux)
  if [[ ${#still_missing[@]} -gt 0 ]]; then
    echo "install-services: still missing after apt-get install: ${still_missing[*]}" >&2
    exit 1
  fi
  echo "install-services: installed ${missing[*]}"
  exit 0
fi

brew_packages=()
for package in "${missing[@]}"; do
  case "$package" in
    redis-server | redis-tools | redis-sentinel) brew_packages+=(redis) ;;
    zookeeper | default-jre-headless) brew_packages+=(zookeeper) ;; # brings openjdk
    rabbitmq-server) brew_packages+=(rabbitmq) ;;
    prometheus) brew_packages+=(prometheus) ;;
  esac
done

cat >&2 <<MSG
install-services: missing: ${missing[*]}
Install them, then run this again:

  Debian/Ubuntu:
    sudo apt-get update
    sudo apt-get install -y --no-install-recommends ${missing[*]}

  macOS (Homebrew):
    brew install ${brew_packages[*]}

Or point the launchers at an existing install with ZOOKEEPER_JAR (a jar or a
classpath) or ZOOKEEPER_HOME, or run the tests against running servers by
setting REDIS_URL and ZK_HOSTS.
MSG
exit 1
