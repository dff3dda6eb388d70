#!/usr/bin/env bash
# Install and cache a real OIDC provider for the single sign-on tests: Keycloak's distribution from Maven Central
# (org.keycloak:keycloak-quarkus-dist, a zip), unpacked and built once OUTSIDE the repository. The tests start it
# themselves on a free loopback port (tests/support/keycloak.py), with an in-memory database.
#
#   scripts/keycloak.sh install              download, unpack and build the pinned release once (cached, reused)
#   scripts/keycloak.sh path [--no-install]  print its home directory (installing it first unless --no-install)
#
# Environment:
#   KEYCLOAK_VERSION   pinned release (default 26.4.7; runs on Java 17 or 21)
#   AUTBOT_CACHE_DIR   where it is cached (default ~/.cache/autbot)
set -euo pipefail

VERSION="${KEYCLOAK_VERSION:-26.4.7}"
CACHE="${AUTBOT_CACHE_DIR:-$HOME/.cache/autbot}/keycloak"
HOME_DIR="$CACHE/keycloak-$VERSION"
BUILT="$HOME_DIR/.autbot-built"  # written once `kc.sh build` has finished

log() { echo "keycloak.sh: $*" >&2; }

install() {
  if [ -f "$BUILT" ]; then echo "$HOME_DIR"; return 0; fi
  command -v java >/dev/null || { log "Java 17 or later is needed (apt-get install openjdk-17-jre-headless)"; exit 1; }
  command -v mvn >/dev/null || { log "Maven is needed to fetch Keycloak from Maven Central (apt-get install maven)"; exit 1; }
  command -v unzip >/dev/null || { log "unzip is needed (apt-get install unzip)"; exit 1; }
  mkdir -p "$CACHE/dl"
  local zip="$CACHE/dl/keycloak-quarkus-dist-$VERSION.zip"
  if [ ! -f "$zip" ]; then
    log "downloading keycloak-quarkus-dist $VERSION from Maven Central (about 160 MB, once)"
    mvn -B -q dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$VERSION:zip" -DoutputDirectory="$CACHE/dl" >&2
  fi
  local tmp
  tmp="$(mktemp -d "$CACHE/unpack.XXXXXX")"
  unzip -q "$zip" -d "$tmp"
  rm -rf "$HOME_DIR"
  mv "$tmp/keycloak-$VERSION" "$HOME_DIR"
  rmdir "$tmp"
  log "building Keycloak $VERSION for the tests (in-memory database; once)"
  "$HOME_DIR/bin/kc.sh" build --db=dev-mem --health-enabled=false >&2
  touch "$BUILT"
  echo "$HOME_DIR"
}

case "${1:-}" in
  install) install >/dev/null; log "Keycloak $VERSION ready in $HOME_DIR" ;;
  path)
    if [ "${2:-}" = "--no-install" ]; then
      [ -f "$BUILT" ] || exit 1
      echo "$HOME_DIR"
    else
      install
    fi
    ;;
  *) echo "usage: $0 install | path [--no-install]" >&2; exit 2 ;;
esac
