#!/usr/bin/env bash
# Fails when a tracked file points outside the repository. A user's clone has nothing beside
# it, so everything the code, tests and docs rely on must live in the repository (the spec in
# extract/revolut/testdata, the design and API notes in docs/).
set -euo pipefail
cd "$(dirname "$0")/.."

# The patterns are assembled from parts so that this file does not match itself.
parent='\.\./'
dir='shared'
hits=$(git grep -n -I -E "${parent}${dir}|(^|[^[:alnum:]_./-])${dir}/(revolut|DESIGN|STYLE|seeds|hooks)" -- . || true)
if [ -n "$hits" ]; then
  echo "these files refer to a folder outside the repository; vendor what they need instead:" >&2
  echo "$hits" >&2
  exit 1
fi
