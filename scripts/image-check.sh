#!/usr/bin/env bash
# Repeat the Containerfile's install steps without a container engine, then start the server the way the
# image does and probe it:
#   build stage:   uv sync --frozen --no-dev --no-editable   (locked deps + AutBot, no dev tools, no source tree)
#   runtime stage: only that virtual environment; the app directory is read-only; data and temp are separate
# Usage: scripts/image-check.sh [WORKDIR]   (exit 0 when /health and /ready answered; WORKDIR is kept if given)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/autbot-image-XXXXXX)}"
keep="${1:-}"
export PATH="$HOME/.local/bin:$PATH"
command -v uv >/dev/null || uv() { python3 -m uv "$@"; }

mkdir -p "$work/app" "$work/data" "$work/tmp"
cp "$repo/pyproject.toml" "$repo/uv.lock" "$repo/README.md" "$work/app/"
cp -r "$repo/src" "$work/app/src"
(
  cd "$work/app"
  UV_PROJECT_ENVIRONMENT="$work/app/.venv" UV_LINK_MODE="${UV_LINK_MODE:-hardlink}" \
    uv sync --frozen --no-dev --no-editable --quiet
)
rm -rf "$work/app/src"                      # the runtime stage has no source tree: AutBot runs from the venv
chmod -R a-w "$work/app"                    # a read-only application directory, like --read-only
venv="$work/app/.venv"
if "$venv/bin/python" -c "import pytest" 2>/dev/null; then echo "image-check: dev tools leaked into the runtime venv"; exit 1; fi

port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cd "$work/data"
env -i PATH="$venv/bin:/usr/bin:/bin" HOME="$work/data" TMPDIR="$work/tmp" HF_HUB_OFFLINE=1 PYTHONDONTWRITEBYTECODE=1 \
  AUTBOT_STORAGE__DATA_DIR="$work/data" AUTBOT_SERVER__HOST=127.0.0.1 AUTBOT_SERVER__PORT="$port" \
  AUTBOT_LLM__LOCAL__PRELOAD=false \
  "$venv/bin/autbot" serve >"$work/server.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; chmod -R u+w "$work/app"; [ -n "$keep" ] || rm -rf "$work"; }
trap cleanup EXIT
get() { "$venv/bin/python" -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"; }
for _ in $(seq 1 240); do
  if get "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "image-check: the server exited:"; tail -40 "$work/server.log"; exit 1; fi
  sleep 0.5
done
get "http://127.0.0.1:$port/health" >/dev/null
get "http://127.0.0.1:$port/ready"
page="$(get "http://127.0.0.1:$port/")"
case "$page" in *"/web/app.js"*) ;; *) echo "image-check: / does not serve the web page"; exit 1 ;; esac
get "http://127.0.0.1:$port/web/app.js" >/dev/null  # the page's files ship in the wheel
get "http://127.0.0.1:$port/schema/assets/swagger-ui-bundle.js" >/dev/null  # the docs work offline
echo "image-check: ok (venv $(du -sh "$venv" | cut -f1), server on port $port)"
