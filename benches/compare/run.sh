#!/usr/bin/env bash
# Side-by-side throughput: passkit-generator (npm) and passforge issuing the
# same event-ticket passes with the same certs-example certificates. Node
# runs passkit-generator on one thread; passforge runs pinned to one core
# with one worker, and with its defaults (every core), 5 times each. Prints
# the rates and the ratios.
#
#   bash benches/compare/run.sh [ROWS]     (default 1000)
#
# Needs node + npm (passkit-generator is installed into a temp folder) and a
# release build of passforge (built here if missing).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/../.."
ROWS=${1:-1000}
ROOT=$(pwd)
# Outputs go to memory where possible, so both tools are measured, not the disk.
WORK=$(mktemp -d -p "$([ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")")
trap 'rm -rf "$WORK"' EXIT

cargo build --release --quiet
PF="$ROOT/target/release/passforge"

# The same rows for both: serial numbers and attendee names.
python3 - "$ROWS" "$WORK/rows.csv" <<'PY'
import csv, sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["serialNumber", "attendee", "seat", "section", "doorsOpen", "price"])
    for i in range(n):
        w.writerow([f"CMP-{i:06d}", f"Person {i}", f"A{i % 999 + 1}", "GA", "2027-06-12T19:00:00+01:00", i % 100])
PY

# passkit-generator's model: the template's images and a pass.json rendered by
# passforge from the first row (passkit-generator has no placeholders; it
# sets the per-pass values through its field API, as its users do).
mkdir -p "$WORK/model.pass" "$WORK/one"
cp templates/event-ticket/*.png "$WORK/model.pass/"
cp -r templates/event-ticket/*.lproj "$WORK/model.pass/"
head -2 "$WORK/rows.csv" > "$WORK/first.csv"
"$PF" issue --template templates/event-ticket --data "$WORK/first.csv" --out "$WORK/one" 2>/dev/null
unzip -p "$WORK/one/CMP-000000.pkpass" pass.json > "$WORK/model.pass/pass.json"

cd "$WORK"
npm init -y >/dev/null 2>&1
npm install --silent --no-audit --no-fund passkit-generator@3 >/dev/null 2>&1
cat > bench.js <<'JS'
const fs = require("fs");
const { PKPass } = require("passkit-generator");
const [rowsPath, certs, out] = process.argv.slice(2);
const rows = fs.readFileSync(rowsPath, "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
const certificates = {
  wwdr: fs.readFileSync(`${certs}/wwdr-ca.pem`),
  signerCert: fs.readFileSync(`${certs}/pass.pem`),
  signerKey: fs.readFileSync(`${certs}/pass.key`),
};
(async () => {
  fs.mkdirSync(out, { recursive: true });
  for (const [serialNumber, attendee, seat] of rows) {
    const pass = await PKPass.from({ model: "./model.pass", certificates }, { serialNumber });
    pass.secondaryFields.find((f) => f.key === "attendee").value = attendee;
    pass.auxiliaryFields.find((f) => f.key === "seat").value = seat;
    fs.writeFileSync(`${out}/${serialNumber}.pkpass`, pass.getAsBuffer());
  }
})();
JS

# Both tools are timed the same way: the whole process, start to exit (node's
# start-up and passforge's template and certificate loading included).
rate() { # command... → passes/s for $ROWS rows
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$WORK/stderr" || { echo "failed: $*" >&2; cat "$WORK/stderr" >&2; exit 1; }
  end=$(date +%s.%N)
  python3 -c "print(f'{$ROWS / ($end - $start):.1f}')"
}
# A passforge run of 1,000 rows lasts a fifth of a second, where one hiccup
# of a shared machine moves the rate by 20%, while node's lasts 40 s and
# averages its hiccups out: passforge runs 5 times (each into a fresh
# folder) and its median counts; every run is printed.
median_rate() { # name out command... → median passes/s of 5 runs with --out out
  local name=$1 out=$2 rates=()
  shift 2
  for _ in 1 2 3 4 5; do
    rm -rf "$out"
    rates+=("$(rate "$@" --out "$out")")
  done
  echo "${rates[*]}" > "$WORK/runs-$name"
  python3 -c 'import statistics, sys; print(f"{statistics.median(map(float, sys.argv[1:])):.1f}")' "${rates[@]}"
}
PIN=(taskset -c 0)
"${PIN[@]}" true 2>/dev/null || PIN=()
PKG_RATE=$(rate "${PIN[@]}" node bench.js rows.csv "$ROOT/certs-example" pkg-out)
PF_ONE=$(median_rate one pf-one "${PIN[@]}" "$PF" issue --template "$ROOT/templates/event-ticket" --data rows.csv --threads 1)
PF_ALL=$(median_rate all pf-out "$PF" issue --template "$ROOT/templates/event-ticket" --data rows.csv)

echo "rows:                         $ROWS (event-ticket, certs-example)"
echo "passkit-generator (node):     $PKG_RATE passes/s (whole node run, start to exit)"
echo "passforge, one core:          $PF_ONE passes/s (median of whole CLI runs, start to exit: $(cat "$WORK/runs-one"))"
echo "passforge, all $(nproc) cores:        $PF_ALL passes/s (median of whole CLI runs, start to exit: $(cat "$WORK/runs-all"))"
python3 -c "print(f'ratio, one core:              {$PF_ONE / $PKG_RATE:.0f}x')"
python3 -c "print(f'ratio, all cores:             {$PF_ALL / $PKG_RATE:.0f}x')"
python3 "$ROOT/../shared/apple/verify_pkpass.py" --ca "$ROOT/certs-example/wwdr-ca.pem" "pkg-out/CMP-000000.pkpass" "pf-out/CMP-000000.pkpass" >/dev/null 2>&1 \
  && echo "both outputs verify with ../shared/apple/verify_pkpass.py" || echo "note: not both outputs verified with ../shared/apple/verify_pkpass.py"
