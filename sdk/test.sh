#!/usr/bin/env bash
# Runs the SDK test suites (node's test runner, pytest, Ruby's minitest) against real
# `passforge serve` instances started from the binary `cargo test` built
# (target/debug/passforge, or PASSFORGE_BIN). Install first:
#   (cd sdk/typescript && npm ci) && python3 -m pip install -e 'sdk/python[test]'; Debian's ruby
set -euo pipefail
cd "$(dirname "$0")"
echo "--- TypeScript SDK (node --test)"
(cd typescript && npm test --silent)
echo "--- Python SDK (pytest)"
(cd python && python3 -m pytest -q -p no:cacheprovider)
echo "--- Ruby client (minitest)"
(cd ruby && ruby -Ilib test/test_client.rb)
