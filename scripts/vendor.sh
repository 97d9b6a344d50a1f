#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry (exact versions; no CDN at run time).
# Usage: scripts/vendor.sh   (needs npm; the result is committed, so nobody else needs Node)
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=src/depotdispatch/web/static/vendor
PACKAGES=(htmx.org@2.0.11 vis-timeline@8.5.4 echarts@6.1.0 axe-core@4.14.1 swagger-ui-dist@5.35.0)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && for p in "${PACKAGES[@]}"; do npm pack --silent "$p" >/dev/null; done
 for f in *.tgz; do mkdir -p "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done)
rm -rf "$DEST" && mkdir -p "$DEST"
cp "$work"/htmx.org-*/package/dist/htmx.min.js "$DEST/htmx.min.js"
cp "$work"/vis-timeline-*/package/standalone/umd/vis-timeline-graph2d.min.js "$DEST/vis-timeline-graph2d.min.js"
cp "$work"/vis-timeline-*/package/styles/vis-timeline-graph2d.min.css "$DEST/vis-timeline-graph2d.min.css"
cp "$work"/echarts-*/package/dist/echarts.common.min.js "$DEST/echarts.common.min.js"
cp "$work"/axe-core-*/package/axe.min.js "$DEST/axe.min.js"
# the API docs page (/api/v1/docs): Swagger UI, served from here rather than a CDN
cp "$work"/swagger-ui-dist-*/package/swagger-ui-bundle.js "$DEST/swagger-ui-bundle.js"
cp "$work"/swagger-ui-dist-*/package/swagger-ui.css "$DEST/swagger-ui.css"
for p in "${PACKAGES[@]}"; do
  name=${p%@*}; dir=$(ls -d "$work/${name}"-*/package)
  lic=$(ls "$dir" | grep -i -m1 '^licen[cs]e' || true)
  [ -n "$lic" ] && cp "$dir/$lic" "$DEST/LICENSE.${name}.txt"
done
{ echo "# npm package@version -> files in this folder (refresh with scripts/vendor.sh)"
  printf '%s\n' "${PACKAGES[@]}"
  (cd "$DEST" && sha256sum ./*.js ./*.css)
} > "$DEST/VERSIONS"
echo "vendored into $DEST:"; cat "$DEST/VERSIONS"
