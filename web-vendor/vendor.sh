#!/usr/bin/env bash
# Vendor the front-end assets from the npm registry into src/renkou/web/static/vendor/ (committed:
# installing renkou and running CI need no npm and no network). Run after changing a version below;
# it rewrites VENDORED.txt with each file's source, integrity and sha256 (checked by the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=src/renkou/web/static/vendor
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# package@version:file in the package:name here (each version pinned; the tests check every sha256)
PACKAGES=("htmx.org@2.0.11:dist/htmx.min.js:htmx.min.js" "echarts@6.1.0:dist/echarts.min.js:echarts.min.js")
: > "$OUT/VENDORED.txt"
for spec in "${PACKAGES[@]}"; do
  IFS=: read -r pkg src dst <<< "$spec"
  (cd "$TMP" && npm pack --silent "$pkg" > /dev/null && tar xzf ./*.tgz && rm ./*.tgz)
  cp "$TMP/package/$src" "$OUT/$dst"
  [ -f "$TMP/package/LICENSE" ] && cp "$TMP/package/LICENSE" "$OUT/${dst%%.*}.LICENSE"
  [ -f "$TMP/package/NOTICE" ] && cp "$TMP/package/NOTICE" "$OUT/${dst%%.*}.NOTICE"  # Apache-2.0 packages (echarts)
  echo "$dst $(sha256sum "$OUT/$dst" | cut -d' ' -f1) $pkg $(npm view "$pkg" dist.integrity 2>/dev/null)" >> "$OUT/VENDORED.txt"
  rm -rf "$TMP/package"
done
cat "$OUT/VENDORED.txt"
