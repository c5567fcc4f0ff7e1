#!/usr/bin/env bash
# Installs the Debian packages the tests use (real recorded music; Chromium and its WebDriver for the
# browser tests of `whytag serve`; ffmpeg to encode an MP4 whose tags are read; Virtuoso 7, a SPARQL server
# the pipeline runs against), where apt is available and we are root. Virtuoso's service is not started: the
# tests start their own on loopback.
# Tests that need them skip with the reason when this could not run.
set -u
need=()
for package in singularity-music chromium chromium-driver ffmpeg virtuoso-opensource; do
  dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null 2>&1 \
    || echo "system-deps: could not install ${need[*]}; tests that need them will skip"
else
  echo "system-deps: not root or no apt-get; tests that need ${need[*]} will skip"
fi
exit 0
