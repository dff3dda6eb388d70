#!/usr/bin/env bash
# Re-fetches the pinned browser bundles of the OpenAPI pages (/schema/redoc, /schema/rapidoc,
# /schema/elements, /schema/scalar) from the npm registry into
# src/autbot/entrypoints/http/web/static/docs/vendor/<name>/, each with its licence, nothing else.
# Swagger UI (/schema) comes from the pinned PyPI package litestar-offline-docs instead.
#
#   scripts/vendor-docs.sh                 fetch the versions pinned below (the committed files)
#   REDOC=2.5.5 scripts/vendor-docs.sh     another version of one of them: change the pin here too,
#                                          the README's table, then run tests/unit/http/test_web.py and
#                                          tests/integration/test_web_browser.py (offline rendering)
set -euo pipefail
cd "$(dirname "$0")/.."

REDOC="${REDOC:-3.0.1}"                      # MIT, Redocly
RAPIDOC="${RAPIDOC:-9.3.8}"                  # MIT, Mrinmoy Majumdar
ELEMENTS="${ELEMENTS:-9.0.25}"               # Apache-2.0, Stoplight
SCALAR="${SCALAR:-1.76.0}"                   # MIT, Scalar

VENDOR=src/autbot/entrypoints/http/web/static/docs/vendor
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# unpack NAME@VERSION: the package's files under $work/<dir>/package
unpack() {
    local spec="$1" dir="$2" tarball
    mkdir -p "$work/$dir"
    tarball="$(cd "$work/$dir" && npm pack "$spec" --silent | tail -n 1)"
    tar -xzf "$work/$dir/$tarball" -C "$work/$dir"
}

# take DIR NAME FILE...: copy the listed package files (paths inside the package) to vendor/NAME/
take() {
    local dir="$1" name="$2"
    shift 2
    rm -rf "${VENDOR:?}/$name"
    mkdir -p "$VENDOR/$name"
    for file in "$@"; do
        cp "$work/$dir/package/$file" "$VENDOR/$name/"
    done
}

unpack "redoc@$REDOC" redoc
take redoc redoc bundles/redoc.standalone.js LICENSE
# The one edit to a vendored file: Redoc's attribution logo is an <img> loaded from Redocly's CDN, with no
# option to turn it off. It points at an empty data: URL instead (the image hides itself when it fails to
# load; the "API docs by Redocly" link stays). The check below fails when a new version changes that.
sed -i 's#https://cdn\.redoc\.ly/redoc/logo-mini\(-full\)\?\.svg#data:,#g' "$VENDOR/redoc/redoc.standalone.js"
if grep -q 'cdn\.redoc\.ly' "$VENDOR/redoc/redoc.standalone.js"; then
    echo "redoc $REDOC still loads something from cdn.redoc.ly: look at it before vendoring" >&2
    exit 1
fi

unpack "rapidoc@$RAPIDOC" rapidoc
take rapidoc rapidoc dist/rapidoc-min.js dist/rapidoc-min.js.LICENSE.txt LICENSE.txt

unpack "@stoplight/elements@$ELEMENTS" elements
take elements elements web-components.min.js web-components.min.js.LICENSE.txt styles.min.css LICENSE

unpack "@scalar/api-reference@$SCALAR" scalar
take scalar scalar dist/browser/standalone.js
# The npm package declares "license": "MIT" but ships no licence file; this is the text of the LICENSE
# file in Scalar's repository (github.com/scalar/scalar).
grep -q '"license": "MIT"' "$work/scalar/package/package.json"
cat >"$VENDOR/scalar/LICENSE" <<'EOF'
MIT License

Copyright (c) 2023-present Scalar

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
EOF

cat >"$VENDOR/VERSIONS" <<EOF
redoc $REDOC
rapidoc $RAPIDOC
@stoplight/elements $ELEMENTS
@scalar/api-reference $SCALAR
EOF
du -sh "$VENDOR"/*
