#!/bin/sh
# Builds the server as of a git revision into a temp folder, for a before/after run:
#   sh bench/buildBaseline.sh HEAD   → prints the path of its dist/index.js
#   BENCH_BEFORE_ENTRY=<that path> npm run bench -- coldStart paidCallOverhead
# node_modules is a symlink to this checkout's, so both builds load the same dependencies.
set -eu
rev="${1:-HEAD}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mktemp -d "${TMPDIR:-/tmp}/x402-before-XXXXXX")"
git -C "$root" archive "$rev" src tsconfig.json package.json | tar -x -C "$out"
git -C "$root" rev-parse --short "$rev" > "$out/REV"
ln -s "$root/node_modules" "$out/node_modules"
(cd "$out" && "$root/node_modules/.bin/tsc" -p tsconfig.json) >&2
echo "$out/dist/index.js"
