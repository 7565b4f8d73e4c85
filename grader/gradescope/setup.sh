#!/usr/bin/env bash
# Gradescope runs this once on its Ubuntu image, as root, with the autograder zip unpacked in
# /autograder/source (zip this repository, without node_modules, as the autograder). It installs
# Node.js 26 from NodeSource's apt repository unless the image has it: a line gradlab supports, and
# the first whose permission model denies the sandbox the network, the one network layer in a
# container without user namespaces (README, Gradescope). Then bubblewrap, used where the container
# allows namespaces, and the grader itself (npm ci, which also builds it). Last, it grades the
# reference solutions once, so the image holds the grader's module cache (node_modules/.cache,
# README "For TAs") and every submission starts warm; a failure there only costs that speed.
# The same variables as run_autograder, so both work on the same tree: AUTOGRADER_ROOT (default
# /autograder) and GRADLAB_SOURCE (default $AUTOGRADER_ROOT/source); GRADLAB_NODE_LINE (default 26).
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
source_dir="${GRADLAB_SOURCE:-$root/source}"
line="${GRADLAB_NODE_LINE:-26}"
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" != "$line" ]; then
  apt-get update
  apt-get install -y ca-certificates curl gnupg
  curl -fsSL "https://deb.nodesource.com/setup_${line}.x" | bash -
  apt-get install -y nodejs
fi
if ! command -v bwrap >/dev/null; then
  apt-get install -y --no-install-recommends bubblewrap
fi
cd "$source_dir"
npm ci --no-audit --no-fund
# warm the module cache; its report is not needed (stdout and stderr are the image build's log)
if ! node bin/gradlab.mjs grade solutions --format json --out /dev/null >/dev/null 2>&1; then
  echo "gradlab: could not grade the reference solutions to warm the grader's cache: submissions are graded all the same, each a little slower" >&2
fi
