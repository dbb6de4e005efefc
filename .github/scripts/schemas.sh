#!/usr/bin/env bash
# Usage: .github/scripts/schemas.sh DIR [MANIFEST]
#
# Makes DIR a copy of an upstream folder the offline render reads: files listed in MANIFEST
# (default .github/upstream-schemas.txt, the schemas; .github/upstream-charts.txt holds the chart
# values) that DIR lacks are downloaded from their pinned upstream commit, and every file must
# match its recorded sha256, so a provisioned copy is checked too.
set -euo pipefail

dir=$1
manifest=${2:-"$(dirname "$0")/../upstream-schemas.txt"}

grep -v '^#' "$manifest" | while read -r sha256 path url; do
  target="$dir/$path"
  if [ ! -f "$target" ]; then
    mkdir -p "$(dirname "$target")"
    curl --fail --silent --show-error --location --retry 3 --output "$target" "$url"
  fi
  echo "$sha256  $target" | sha256sum --check --quiet --strict -
done
