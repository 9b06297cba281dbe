#!/bin/sh
# Builds the server as of a git revision into a temp folder, for a before/after run:
#   sh bench/buildBaseline.sh HEAD   → prints the path of its dist/index.js
#   BENCH_BEFORE_ENTRY=<that path> npm run bench -- coldStart paidCallOverhead
# When the revision locks the same packages as this checkout, node_modules is a symlink to
# this checkout's, so both builds load the same dependencies; otherwise (a dependency was
# added or removed since) the revision gets its own `npm ci`.
set -eu
rev="${1:-HEAD}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mktemp -d "${TMPDIR:-/tmp}/x402-before-XXXXXX")"
git -C "$root" archive "$rev" src tsconfig.json package.json package-lock.json | tar -x -C "$out"
git -C "$root" rev-parse --short "$rev" > "$out/REV"
if cmp -s "$out/package-lock.json" "$root/package-lock.json"; then
  ln -s "$root/node_modules" "$out/node_modules"
else
  (cd "$out" && npm ci --ignore-scripts --no-audit --no-fund --prefer-offline) >&2
fi
(cd "$out" && "$root/node_modules/.bin/tsc" -p tsconfig.json) >&2
echo "$out/dist/index.js"
