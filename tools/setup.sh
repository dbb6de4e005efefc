#!/usr/bin/env bash
# One command from a fresh clone: a virtualenv with the pinned requirements, and in build/upstream
# the upstream CRDs, Pulumi schemas and chart values the render checks against. They are copied
# from ../shared where it exists and otherwise downloaded from the upstream commits pinned in
# .github/upstream-schemas.txt and .github/upstream-charts.txt; every file's sha256 is checked
# either way.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
for kind in schemas charts; do
  mkdir -p "build/upstream/$kind"
  if [ -d "../shared/$kind" ]; then
    cp -R "../shared/$kind/." "build/upstream/$kind/"
    chmod -R u+w "build/upstream/$kind"
  fi
  bash .github/scripts/schemas.sh "build/upstream/$kind" ".github/upstream-$kind.txt"
done
echo "Ready: .venv, build/upstream/schemas and build/upstream/charts."
