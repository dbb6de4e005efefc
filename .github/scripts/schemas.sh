#!/usr/bin/env bash
# Usage: .github/scripts/schemas.sh DIR
#
# Makes DIR a copy of the upstream schema folder the offline render validates against: files
# listed in .github/upstream-schemas.txt that DIR lacks are downloaded from their pinned upstream
# commit, and every file must match its recorded sha256, so a provisioned copy is checked too.
set -euo pipefail

dir=$1
manifest="$(dirname "$0")/../upstream-schemas.txt"

grep -v '^#' "$manifest" | while read -r sha256 path url; do
  target="$dir/$path"
  if [ ! -f "$target" ]; then
    mkdir -p "$(dirname "$target")"
    curl --fail --silent --show-error --location --retry 3 --output "$target" "$url"
  fi
  echo "$sha256  $target" | sha256sum --check --quiet --strict -
done
