#!/usr/bin/env bash
# Installs the Debian packages the tests use (real recorded music; Chromium and its WebDriver for the
# browser tests of `whytag serve`; ffmpeg to encode an MP4 whose tags are read; Virtuoso 7, a SPARQL server
# the pipeline runs against; npm where missing), where apt is available and we are root. Virtuoso's service is
# not started: the tests start their own on loopback. Then fetches axe-core, the accessibility checker the
# browser tests inject into each page, into tests/serve/vendor/ (ignored by git, never served by whytag).
# Tests that need them skip with the reason when this could not run.
set -u
AXE_VERSION=4.14.1
need=()
for package in singularity-music chromium chromium-driver ffmpeg virtuoso-opensource; do
  dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null 2>&1 \
      || echo "system-deps: could not install ${need[*]}; tests that need them will skip"
  else
    echo "system-deps: not root or no apt-get; tests that need ${need[*]} will skip"
  fi
fi
vendor="$(dirname "$0")/serve/vendor"
if ! grep -qs "\"version\": \"$AXE_VERSION\"" "$vendor/node_modules/axe-core/package.json"; then
  if command -v npm >/dev/null 2>&1; then
    npm install --silent --prefix "$vendor" --no-save --no-package-lock --no-audit --no-fund \
      "axe-core@$AXE_VERSION" >/dev/null 2>&1 \
      || echo "system-deps: npm could not fetch axe-core $AXE_VERSION; the accessibility tests will skip"
  else
    echo "system-deps: no npm; the accessibility tests will skip"
  fi
fi
exit 0
