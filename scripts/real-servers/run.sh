#!/usr/bin/env bash
# Installs four real upload servers, starts each on 127.0.0.1, runs upspec
# against it and stops it again:
#
#   tus-node   @tus/server 2.4.5 + @tus/file-store 2.1.1   (npm)       tus::
#   rustus     rustus 0.5.10, features hashers              (crates.io) tus::
#   moto       moto[server] 5.2.5                           (PyPI)      s3::
#   s3s-fs     s3s-fs 0.14.1, feature binary                (crates.io) s3::
#
# plus tus-node-expiry: a second @tus/server with a 5 s expiry, for the
# scenarios of tus::expiration that wait for an upload to expire.
#
# Usage:
#   scripts/real-servers/run.sh                 install what is missing, check every server
#   scripts/real-servers/run.sh rustus moto     only these servers
#   scripts/real-servers/run.sh --install-only  install, check nothing
#   scripts/real-servers/run.sh --no-install    check with what is installed
#   UPSPEC=/path/to/upspec scripts/real-servers/run.sh   use this binary (else
#                                               `cargo build --release --bin upspec`)
#
# Everything goes under target/real-servers/ (gitignored): the npm prefix, the
# Python venv, `cargo install --root` and its own CARGO_TARGET_DIR (so the
# project's build is not disturbed), the servers' logs and data, and one JSON
# report per server (<name>.json). The cargo installs take several minutes
# each on a 2-core machine; they are skipped when the right version is there.
#
# Exit status: 0 when every selected server was started and upspec produced a
# report for it (conformance failures are expected and do not count); 1 when
# an install failed, a server did not come up, or upspec could not run.

set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/target/real-servers"
LOGS="$OUT/logs"
CARGO_ROOT="$OUT/cargo"
export CARGO_TARGET_DIR="$OUT/cargo-target"
export TUS_NODE_PREFIX="$OUT/node"   # where tus-node-server.mjs finds @tus/server

TUS_NODE_SERVER_VERSION=2.4.5
TUS_NODE_FILE_STORE_VERSION=2.1.1
RUSTUS_VERSION=0.5.10
MOTO_VERSION=5.2.5
S3S_FS_VERSION=0.14.1   # later versions need a newer rustc than some machines have

# Keys for the S3 servers. s3s-fs is started with them and verifies SigV4;
# moto accepts any keys (it verifies no signature unless IAM auth is enabled).
S3_ACCESS_KEY=upspec-access-key
S3_SECRET_KEY=upspec-secret-key

ALL_SERVERS=(tus-node tus-node-expiry rustus moto s3s-fs)

install=1 check=1 servers=()
for arg in "$@"; do
  case "$arg" in
    --no-install) install=0 ;;
    --install-only) check=0 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    tus-node|tus-node-expiry|rustus|moto|s3s-fs) servers+=("$arg") ;;
    *) echo "run.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done
[ ${#servers[@]} -eq 0 ] && servers=("${ALL_SERVERS[@]}")
selected() { local s; for s in "${servers[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

mkdir -p "$LOGS"
status=0
note() { printf '\n== %s\n' "$*"; }
fail() { echo "run.sh: $*" >&2; status=1; }

# ---------------------------------------------------------------- installs

timed() { # timed LABEL CMD...: runs CMD, logs to $LOGS/LABEL.log, prints how long it took
  local label="$1"; shift
  local t0=$SECONDS
  if "$@" >"$LOGS/$label.log" 2>&1; then
    echo "  $label: ok in $((SECONDS - t0)) s (log: ${LOGS#$ROOT/}/$label.log)"
  else
    echo "  $label: FAILED after $((SECONDS - t0)) s (log: ${LOGS#$ROOT/}/$label.log)"
    return 1
  fi
}

install_tus_node() {
  local prefix="$OUT/node"
  if [ "$(node -p "require('$prefix/node_modules/@tus/server/package.json').version" 2>/dev/null)" = "$TUS_NODE_SERVER_VERSION" ] &&
     [ "$(node -p "require('$prefix/node_modules/@tus/file-store/package.json').version" 2>/dev/null)" = "$TUS_NODE_FILE_STORE_VERSION" ]; then
    echo "  @tus/server $TUS_NODE_SERVER_VERSION: already installed"; return 0
  fi
  mkdir -p "$prefix"
  [ -f "$prefix/package.json" ] || echo '{"name":"upspec-real-servers","private":true}' >"$prefix/package.json"
  timed npm-install npm install --prefix "$prefix" --no-audit --no-fund \
    "@tus/server@$TUS_NODE_SERVER_VERSION" "@tus/file-store@$TUS_NODE_FILE_STORE_VERSION"
}

cargo_installed() { # cargo_installed BIN VERSION
  [ -x "$CARGO_ROOT/bin/$1" ] && grep -q "^\"$1 $2 " "$CARGO_ROOT/.crates.toml" 2>/dev/null
}

cargo_install() { # cargo_install CRATE VERSION FEATURES
  local crate="$1" version="$2" features="$3"
  if cargo_installed "$crate" "$version"; then
    echo "  $crate $version: already installed"; return 0
  fi
  if timed "cargo-install-$crate" cargo install "$crate" --version "$version" \
       --features "$features" --locked --root "$CARGO_ROOT"; then
    return 0
  fi
  echo "  $crate: --locked failed; trying without it (dependencies then resolve to their newest compatible versions)"
  timed "cargo-install-$crate-unlocked" cargo install "$crate" --version "$version" \
    --features "$features" --root "$CARGO_ROOT"
}

install_moto() {
  local venv="$OUT/venv"
  if [ -x "$venv/bin/moto_server" ] &&
     [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" = "$MOTO_VERSION" ]; then
    echo "  moto $MOTO_VERSION: already installed"; return 0
  fi
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" || return 1
  timed pip-install-moto "$venv/bin/pip" install "moto[server]==$MOTO_VERSION"
}

if [ "$install" = 1 ]; then
  note "installing into ${OUT#$ROOT/}/"
  if selected tus-node || selected tus-node-expiry; then install_tus_node || fail "npm install failed"; fi
  if selected rustus; then cargo_install rustus "$RUSTUS_VERSION" hashers || fail "cargo install rustus failed"; fi
  if selected moto; then install_moto || fail "pip install moto failed"; fi
  if selected s3s-fs; then cargo_install s3s-fs "$S3S_FS_VERSION" binary || fail "cargo install s3s-fs failed"; fi
fi
[ "$check" = 1 ] || exit "$status"

# ---------------------------------------------------------------- upspec

if [ -z "${UPSPEC:-}" ]; then
  note "building upspec (cargo build --release --bin upspec)"
  # The project's own build: CARGO_TARGET_DIR above is only for the installs.
  (cd "$ROOT" && env -u CARGO_TARGET_DIR cargo build --release --bin upspec) || { echo "run.sh: building upspec failed" >&2; exit 1; }
  UPSPEC="$ROOT/target/release/upspec"
fi
echo "upspec: $UPSPEC ($("$UPSPEC" --version 2>/dev/null || echo '?'))"

# ---------------------------------------------------------------- servers

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_until_answers() { # wait_until_answers PID URL: up to 30 s for any HTTP answer
  local pid="$1" url="$2" i code
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || return 1
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' -X OPTIONS "$url" 2>/dev/null)
    [ -n "$code" ] && [ "$code" != 000 ] && return 0
    sleep 0.2
  done
  return 1
}

stop_server() { # stop_server PID
  kill "$1" 2>/dev/null && wait "$1" 2>/dev/null
  local kept=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  PIDS=("${kept[@]}")
}

REPORTS=()
run_upspec() { # run_upspec NAME ARGS...: upspec run ARGS --report-json $OUT/NAME.json
  local name="$1"; shift
  local report="$OUT/$name.json" rc
  rm -f "$report"
  "$UPSPEC" run "$@" --report-json "$report" >"$LOGS/$name.upspec.txt" 2>&1
  rc=$?
  if [ -f "$report" ] && [ "$rc" -le 1 ]; then
    REPORTS+=("$name")
    echo "  upspec exit $rc; report: ${report#$ROOT/} (output: ${LOGS#$ROOT/}/$name.upspec.txt)"
  else
    fail "$name: upspec exited $rc without a report; see ${LOGS#$ROOT/}/$name.upspec.txt"
  fi
}

start() { # start NAME URL CMD...: starts CMD in the background, waits until URL answers
  local name="$1" url="$2"; shift 2
  "$@" >"$LOGS/$name.server.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  if wait_until_answers "$pid" "$url"; then
    echo "  started $name (pid $pid) at $url"
    STARTED_PID=$pid
    return 0
  fi
  fail "$name did not answer at $url within 30 s; see ${LOGS#$ROOT/}/$name.server.log"
  stop_server "$pid"
  return 1
}

check_tus_node() {
  # @tus/server with the file store, as in its README, plus two limits so the
  # scenarios that need them run: maxSize 1 GiB (sent as Tus-Max-Size, so
  # --var tus_max_size is that) and an expiry of 1 h (FileStore always
  # advertises `expiration`; with a period it also sends Upload-Expires). The
  # 1 h expiry is too long to wait for, so tus_expiry is not passed here; the
  # tus-node-expiry run covers it. No --capability download: GET of a completed
  # upload crashed @tus/server 2.4.5 on Node 20 (ERR_INVALID_STATE).
  local port data url
  port=$(free_port); data=$(mktemp -d "$OUT/tus-node-data.XXXXXX"); url="http://127.0.0.1:$port/files/"
  note "tus-node: @tus/server $TUS_NODE_SERVER_VERSION"
  start tus-node "$url" \
    node "$HERE/tus-node-server.mjs" "$port" "$data" 1073741824 3600000 || return
  local pid=$STARTED_PID
  run_upspec tus-node --target "$url" --var tus_max_size=1073741824 tus::
  stop_server "$pid"; rm -rf "$data"
}

check_tus_node_expiry() {
  # The same server with a 5 s expiry (counted from creation: @tus/server does
  # not extend it on writes), for tus::expiration only, with --var tus_expiry=5.
  local port data url
  port=$(free_port); data=$(mktemp -d "$OUT/tus-node-expiry-data.XXXXXX"); url="http://127.0.0.1:$port/files/"
  note "tus-node-expiry: @tus/server $TUS_NODE_SERVER_VERSION, 5 s expiry"
  start tus-node-expiry "$url" \
    node "$HERE/tus-node-server.mjs" "$port" "$data" 1073741824 5000 || return
  local pid=$STARTED_PID
  run_upspec tus-node-expiry --target "$url" --var tus_max_size=1073741824 --var tus_expiry=5 tus::expiration
  stop_server "$pid"; rm -rf "$data"
}

check_rustus() {
  # rustus with its file storage and file info storage in a temporary dir.
  # --max-body-size: rustus refuses request bodies over 256 KiB by default
  # (413 "Payload reached size limit"), which the 1 MiB and 4 MiB PATCHes of
  # the suite hit; 16 MiB lets them through. rustus has no maximum upload size
  # (no Tus-Max-Size), so no tus_max_size. It advertises the non-standard
  # extension `getting` and serves an upload's bytes on GET: --capability download.
  local port data url
  port=$(free_port); data=$(mktemp -d "$OUT/rustus-data.XXXXXX"); url="http://127.0.0.1:$port/files/"
  note "rustus $RUSTUS_VERSION"
  start rustus "$url" "$CARGO_ROOT/bin/rustus" --host 127.0.0.1 --port "$port" --url /files \
    --data-dir "$data/data" --info-storage file-info-storage --info-dir "$data/info" \
    --max-body-size 16777216 || return
  local pid=$STARTED_PID
  run_upspec rustus --target "$url" --capability download tus::
  stop_server "$pid"; rm -rf "$data"
}

check_moto() {
  # moto's standalone server, in memory, with its defaults.
  local port url
  port=$(free_port); url="http://127.0.0.1:$port"
  note "moto $MOTO_VERSION"
  start moto "$url/" "$OUT/venv/bin/moto_server" -H 127.0.0.1 -p "$port" || return
  local pid=$STARTED_PID
  export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
  run_upspec moto --s3-endpoint "$url" s3::
  stop_server "$pid"
}

check_s3s_fs() {
  # s3s-fs serving a temporary directory, SigV4 with the keys above.
  local port data url
  port=$(free_port); data=$(mktemp -d "$OUT/s3s-fs-data.XXXXXX"); url="http://127.0.0.1:$port"
  note "s3s-fs $S3S_FS_VERSION"
  start s3s-fs "$url/" "$CARGO_ROOT/bin/s3s-fs" --host 127.0.0.1 --port "$port" \
    --access-key "$S3_ACCESS_KEY" --secret-key "$S3_SECRET_KEY" "$data" || return
  local pid=$STARTED_PID
  export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
  run_upspec s3s-fs --s3-endpoint "$url" s3::
  stop_server "$pid"; rm -rf "$data"
}

for s in "${servers[@]}"; do
  case "$s" in
    tus-node) check_tus_node ;;
    tus-node-expiry) check_tus_node_expiry ;;
    rustus) check_rustus ;;
    moto) check_moto ;;
    s3s-fs) check_s3s_fs ;;
  esac
done

note "reports"
paths=()
for name in "${REPORTS[@]}"; do
  paths+=("target/real-servers/$name.json")
  python3 - "$OUT/$name.json" "$name" <<'EOF'
import json, sys
totals = json.load(open(sys.argv[1]))["totals"]
print(f"  {sys.argv[2]:16} {sys.argv[1]}  " + ", ".join(f"{v} {k}" for k, v in sorted(totals.items())))
EOF
done
[ ${#paths[@]} -gt 0 ] && echo "Render them with: python3 scripts/real-servers/render.py ${paths[*]}"
exit "$status"
