#!/usr/bin/env bash
# Regenerates both SDKs from the /openapi.json a running `passforge serve`
# answers: sdk/openapi.json, sdk/typescript/src/gen (@hey-api/openapi-ts,
# pinned in package-lock.json; run `npm ci` in sdk/typescript first) and
# sdk/python/src/passforge/_api (openapi-python-client, pinned in
# python/requirements-generate.txt), then the sync Python client from the
# async one, and the Ruby client's operation table
# (ruby/lib/passforge/operations.rb).
#
#   sdk/generate.sh           write
#   sdk/generate.sh --check   fail (and show the difference) when the
#                             committed SDKs are not what the service's
#                             document generates
set -euo pipefail
cd "$(dirname "$0")"
sdk="$(pwd)"
bin="${PASSFORGE_BIN:-$sdk/../target/debug/passforge}"
[ -x "$bin" ] || { echo "generate.sh: $bin is missing (cargo build, or set PASSFORGE_BIN)" >&2; exit 1; }

dir="$(mktemp -d)"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -u PASSFORGE_DATABASE_URL PASSFORGE_LOG=warn "$bin" serve --listen "127.0.0.1:$port" \
  --database-url "sqlite://$dir/passforge.db" --templates "$sdk/../templates" >"$dir/serve.log" 2>&1 &
server=$!
python3 - "$port" "$sdk/openapi.json" <<'PY'
import json, sys, time, urllib.request
port, out = sys.argv[1], sys.argv[2]
for _ in range(300):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=2) as r:
            doc = json.load(r)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("generate.sh: the service did not answer /openapi.json")
with open(out, "w") as f:
    json.dump(doc, f, indent=2, ensure_ascii=False)
    f.write("\n")
PY

(cd typescript && rm -rf src/gen && npx --no-install openapi-ts >/dev/null)
(cd python && rm -rf src/passforge/_api \
  && openapi-python-client generate --path ../openapi.json --meta none \
       --output-path src/passforge/_api --config openapi-python-client.yaml >/dev/null 2>"$dir/generate.log" \
  && rm -rf src/passforge/_api/.ruff_cache && python3 unasync.py)
python3 ruby/generate_operations.py

if [ "${1:-}" = "--check" ]; then
  changes="$(git status --porcelain -- "$sdk")"
  if [ -n "$changes" ]; then
    echo "The SDKs differ from what the service's /openapi.json generates (run sdk/generate.sh and commit):" >&2
    echo "$changes" >&2
    git --no-pager diff --stat -- "$sdk" >&2
    exit 1
  fi
  echo "SDKs are current with the service's /openapi.json"
fi
