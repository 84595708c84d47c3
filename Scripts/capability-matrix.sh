#!/usr/bin/env bash
# Rewrites the capability matrix of Documentation/storage/README.md (the block between
# <!-- capability-matrix: begin --> and <!-- capability-matrix: end -->) from the drivers' declared capabilities.
#
# Usage: Scripts/capability-matrix.sh
#
# Builds the tests and runs CapabilityMatrixTests with OIB_UPDATE_DOCS=1: the test that otherwise fails on a stale
# block writes the current rendering (CapabilityMatrix.markdown(registry:) in Sources/StandardDrivers) instead.
# Holds /tmp/oib-build.lock around the build and the run, like every build on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

flock /tmp/oib-build.lock swift build --build-tests
bin=$(swift build --show-bin-path)/oracle-imagecopy-backupPackageTests.xctest
OIB_UPDATE_DOCS=1 flock /tmp/oib-build.lock "$bin" --testing-library swift-testing --filter CapabilityMatrixTests
git diff --stat -- Documentation/storage/README.md
