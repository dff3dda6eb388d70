#!/usr/bin/env bash
# Known vulnerabilities in the locked dependencies (uv.lock), with `uv audit` (OSV database).
#
#   scripts/audit.sh                 fail (exit 1) on a known vulnerability, or (exit 3) when the database
#                                    cannot be reached: no answer is never reported as "no vulnerabilities"
#   AUDIT_OPTIONAL=1 scripts/audit.sh   the same, but an unreachable database only prints a notice (exit 0);
#                                    .ci/run uses this: CI machines here reach package registries only
#   AUDIT_SERVICE_URL=https://osv.internal/v1 scripts/audit.sh   an OSV-compatible mirror of the database
#   AUDIT_IGNORE="GHSA-xxxx PYSEC-yyyy" scripts/audit.sh        accepted advisories (say why in the commit)
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.local/bin:$PATH"

args=(audit --frozen)
[[ -n "${AUDIT_SERVICE_URL:-}" ]] && args+=(--service-url "$AUDIT_SERVICE_URL")
for id in ${AUDIT_IGNORE:-}; do args+=(--ignore "$id"); done

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
uv "${args[@]}" >"$out" 2>&1
rc=$?
cat "$out"
if [[ $rc -eq 0 ]]; then
  echo "audit: no known vulnerabilities in uv.lock"
  exit 0
fi
if grep -qiE "error sending request|dns error|failed to lookup address|connection refused|timed out" "$out"; then
  echo "audit: the vulnerability database could not be reached; nothing was checked."
  [[ "${AUDIT_OPTIONAL:-0}" == "1" ]] && exit 0
  exit 3
fi
echo "audit: known vulnerabilities (or an audit error) above"
exit 1
