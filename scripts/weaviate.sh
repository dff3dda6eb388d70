#!/usr/bin/env bash
# Build, cache and run a real Weaviate server on loopback (no binary is published on any registry
# this project can reach, so it is built from its Go module and cached OUTSIDE the repository).
#
#   scripts/weaviate.sh install                 build the pinned release once (cached, reused)
#   scripts/weaviate.sh path                    print the binary's path (installing if needed)
#   scripts/weaviate.sh start [NODE [NODES]]    start node NODE (0-based) of a NODES-node cluster, wait until ready
#   scripts/weaviate.sh stop [NODE]             stop one node (or every node started from this run dir)
#   scripts/weaviate.sh cluster-start [NODES]   start NODES nodes (default 3) that form one cluster
#   scripts/weaviate.sh cluster-stop            stop them
#
# Environment:
#   WEAVIATE_VERSION   pinned tag (default v1.35.2)
#   AUTBOT_CACHE_DIR   where builds are cached (default ~/.cache/autbot)
#   WEAVIATE_RUN_DIR   data dirs, logs and pid files (default ${TMPDIR:-/tmp}/autbot-weaviate)
#   WEAVIATE_PORT_BASE HTTP port of node 0 (default 8080); node i uses HTTP base+i, gRPC 50051+i+offset,
#                      gossip/data 7100+2i/7101+2i+offset, raft 8300+2i/8301+2i+offset, where
#                      offset = base - 8080 (so two clusters on distinct bases do not collide)
#   WEAVIATE_NODE<i>_PORTS "HTTP GRPC GOSSIP RAFT" for node i, overriding the base (the tests pick free ports
#                      this way); the node also binds GOSSIP+1 (data) and RAFT+1 (Raft RPC), as Weaviate's
#                      local-cluster mode expects
set -euo pipefail

VERSION="${WEAVIATE_VERSION:-v1.35.2}"
FALLBACK_VERSIONS="v1.29.0 v1.27.0"
CACHE="${AUTBOT_CACHE_DIR:-$HOME/.cache/autbot}/weaviate"
RUN_DIR="${WEAVIATE_RUN_DIR:-${TMPDIR:-/tmp}/autbot-weaviate}"
BASE="${WEAVIATE_PORT_BASE:-8080}"
OFFSET=$((BASE - 8080))

log() { echo "weaviate.sh: $*" >&2; }

binary_for() { echo "$CACHE/$1/weaviate-server"; }

install() {
  local bin
  bin="$(binary_for "$VERSION")"
  if [ -x "$bin" ]; then echo "$bin"; return 0; fi
  command -v go >/dev/null || { log "Go is needed to build Weaviate (apt-get install golang, or Go >= 1.24)"; exit 1; }
  for v in "$VERSION" $FALLBACK_VERSIONS; do
    bin="$(binary_for "$v")"
    if [ -x "$bin" ]; then echo "$bin"; return 0; fi
    log "building weaviate-server $v from its Go module (a few minutes, once; cached in $CACHE/$v)"
    mkdir -p "$CACHE/$v"
    if GOBIN="$CACHE/$v" GOFLAGS=-mod=mod go install "github.com/weaviate/weaviate/cmd/weaviate-server@$v" >&2; then
      [ "$v" = "$VERSION" ] || log "NOTE: $VERSION failed to build; using $v"
      echo "$bin"; return 0
    fi
    log "building $v failed"
  done
  exit 1
}

ports() {  # node -> "http grpc gossip data raft raftrpc"
  local i=$1 var="WEAVIATE_NODE$1_PORTS" http grpc gossip raft
  if [ -n "${!var:-}" ]; then
    read -r http grpc gossip raft <<<"${!var}"
  else
    http=$((BASE + i)) grpc=$((50051 + OFFSET + i)) gossip=$((7100 + OFFSET + 2 * i)) raft=$((8300 + OFFSET + 2 * i))
  fi
  echo "$http $grpc $gossip $((gossip + 1)) $raft $((raft + 1))"
}

start_node() {
  local node=${1:-0} nodes=${2:-1} bin http grpc gossip data raft raftrpc join="" i
  bin="$(install)"
  read -r http grpc gossip data raft raftrpc <<<"$(ports "$node")"
  for ((i = 0; i < nodes; i++)); do
    local p; read -r _ _ _ _ p _ <<<"$(ports "$i")"
    join="${join:+$join,}node$i:$p"
  done
  mkdir -p "$RUN_DIR/node$node"
  if [ -f "$RUN_DIR/node$node.pid" ] && kill -0 "$(cat "$RUN_DIR/node$node.pid")" 2>/dev/null; then
    log "node$node already running"; return 0
  fi
  local cluster_join=""
  [ "$node" -gt 0 ] && cluster_join="127.0.0.1:$(ports 0 | cut -d' ' -f3)"
  env -i PATH="$PATH" HOME="$HOME" \
    AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true \
    PERSISTENCE_DATA_PATH="$RUN_DIR/node$node" \
    DEFAULT_VECTORIZER_MODULE=none ENABLE_MODULES="" \
    DISABLE_TELEMETRY=true LOG_LEVEL=warning QUERY_DEFAULTS_LIMIT=25 QUERY_MAXIMUM_RESULTS=100000 \
    PROMETHEUS_MONITORING_ENABLED=false GRPC_PORT="$grpc" \
    CLUSTER_HOSTNAME="node$node" CLUSTER_IN_LOCALHOST=true CLUSTER_ADVERTISE_ADDR=127.0.0.1 CLUSTER_BIND_ADDR=127.0.0.1 \
    CLUSTER_GOSSIP_BIND_PORT="$gossip" CLUSTER_DATA_BIND_PORT="$data" CLUSTER_JOIN="$cluster_join" \
    RAFT_PORT="$raft" RAFT_INTERNAL_RPC_PORT="$raftrpc" RAFT_JOIN="$join" RAFT_BOOTSTRAP_EXPECT="$nodes" \
    GOMAXPROCS="${WEAVIATE_GOMAXPROCS:-2}" LIMIT_RESOURCES=true GO_PROFILING_DISABLE=true \
    nohup "$bin" --scheme http --host 127.0.0.1 --port "$http" --read-timeout=600s --write-timeout=600s \
    >"$RUN_DIR/node$node.log" 2>&1 &
  echo $! >"$RUN_DIR/node$node.pid"
  log "node$node (pid $!) http=127.0.0.1:$http grpc=$grpc data=$RUN_DIR/node$node"
}

wait_ready() {
  local node=${1:-0} http; http=$(ports "$node" | cut -d' ' -f1)
  for _ in $(seq 1 240); do
    if curl -fsS "http://127.0.0.1:$http/v1/.well-known/ready" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$(cat "$RUN_DIR/node$node.pid")" 2>/dev/null; then
      log "node$node exited; last log lines:"; tail -20 "$RUN_DIR/node$node.log" >&2; exit 1
    fi
    sleep 0.5
  done
  log "node$node not ready after 120 s"; tail -20 "$RUN_DIR/node$node.log" >&2; exit 1
}

wait_port() {  # the gossip port of node 0 must listen before the others join it
  local port=$1
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  log "port $port never opened"; exit 1
}

stop_node() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

case "${1:-}" in
  install) install >/dev/null; log "ready: $(install)" ;;
  path) install ;;
  start) start_node "${2:-0}" "${3:-1}"; wait_ready "${2:-0}" ;;
  stop) if [ -n "${2:-}" ]; then stop_node "$RUN_DIR/node$2.pid"; else for f in "$RUN_DIR"/node*.pid; do stop_node "$f"; done; fi ;;
  cluster-start)
    n=${2:-3}
    start_node 0 "$n"
    wait_port "$(ports 0 | cut -d' ' -f3)"
    for ((i = 1; i < n; i++)); do start_node "$i" "$n"; done
    for ((i = 0; i < n; i++)); do wait_ready "$i"; done
    log "cluster of $n nodes ready" ;;
  cluster-stop) for f in "$RUN_DIR"/node*.pid; do stop_node "$f"; done ;;
  *) sed -n '2,21p' "$0"; exit 2 ;;
esac
