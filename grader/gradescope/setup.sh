#!/usr/bin/env bash
# Gradescope runs this once on its Ubuntu image, with the autograder zip unpacked in
# /autograder/source (zip this repository, without node_modules, as the autograder).
set -euo pipefail
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  apt-get update
  apt-get install -y ca-certificates curl gnupg
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  apt-get install -y nodejs
fi
cd /autograder/source
npm ci --no-audit --no-fund
