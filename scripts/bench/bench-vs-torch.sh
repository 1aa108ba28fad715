#!/usr/bin/env bash
# Training (or inference) throughput of `au-lens bench` beside the PyTorch peer (../shared/peers/torch/bench.py), back to back
# for the same model, batch and threads, then one table: img/s (median of the repetitions, min–max), the ratio
# ours / PyTorch, peak RSS, and how many CPUs other processes used meanwhile (0 = quiet; the box is shared).
#
# Usage: scripts/bench/bench-vs-torch.sh [model...]        (default: tiny64 small96; vit64 runs the repo's peer
#        file scripts/bench/vit_peer.py, the peer's bench.py with vit64 added)
# Environment: THREADS="1 2"  MODE=train|infer  BATCH=N  STEPS=N  WARMUP=N  REPS=N  ROUNDS=N (ours/peer pairs per
#              config)  QUIET_WAIT=S (before each run, wait up to S seconds for other processes to use < 0.15 CPU, as
#              the peer's run_quiet.sh; default 0)  PEER_DIR=../shared/peers/torch  PYTHON=/usr/bin/python3
#              (the peer fails with WARMUP=0: it checks the loss of the last warm-up step)
# The peer runs with OPENBLAS_CORETYPE=SkylakeX (its AVX-512 kernels, as its run_all.sh) and OMP_WAIT_POLICY=PASSIVE
# (GOMP's spinning barriers stall 2-thread runs whenever another process holds a core; see its RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PEER_DIR=${PEER_DIR:-$ROOT/../shared/peers/torch}
PYTHON=${PYTHON:-/usr/bin/python3}
THREADS=${THREADS:-"1 2"}
MODE=${MODE:-train}
REPS=${REPS:-3}
ROUNDS=${ROUNDS:-1}
QUIET_WAIT=${QUIET_WAIT:-0}
MODELS=("$@")
[ ${#MODELS[@]} -eq 0 ] && MODELS=(tiny64 small96)

[ -f "$PEER_DIR/bench.py" ] || { echo "bench-vs-torch: no peer at $PEER_DIR/bench.py" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench-vs-torch: needs jq" >&2; exit 1; }
# Installs what is missing and builds dist/cli.js from the current sources.
bash scripts/setup.sh >/dev/null

# The peer writes beside itself only with --out, but run a private copy anyway so a shared checkout stays untouched.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$PEER_DIR/bench.py" "$ROOT/scripts/bench/vit_peer.py" "$ROOT/scripts/golden/vit64_torch.py" "$WORK/"

peer_name() { case "$1" in resnet18) echo resnet18_112 ;; resnet50) echo resnet50_224 ;; *) echo "$1" ;; esac; }
default_batch() { case "$1" in tiny64|vit64) echo 32 ;; small96|resnet18) echo 16 ;; resnet50) echo 8 ;; esac; }
peer_script() { case "$1" in vit64) echo vit_peer.py ;; *) echo bench.py ;; esac; }
# Timed steps per repetition: about a second or more of work per repetition on this class of machine.
default_steps() { case "$1" in tiny64) echo 10 ;; vit64) echo 5 ;; small96|resnet18) echo 3 ;; resnet50) echo 1 ;; esac; }

run_peer() {  # script, bench.py flags → the peer's JSON line with its peak RSS added (it reports none itself)
  (cd "$WORK" && OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=PASSIVE "$PYTHON" - "$@" <<'PY'
import json, resource, subprocess, sys
out = subprocess.run([sys.executable, *sys.argv[1:]], check=True, stdout=subprocess.PIPE, text=True).stdout
res = json.loads(out.strip().splitlines()[-1])
res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kilobytes on Linux
print(json.dumps(res))
PY
  )
}

busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
wait_quiet() {  # other processes under 0.15 CPU over 2 s (30 ticks at USER_HZ 100), or QUIET_WAIT seconds passed
  local waited=0 a b
  while [ "$waited" -lt "$QUIET_WAIT" ]; do
    a=$(busy_ticks); sleep 2; b=$(busy_ticks)
    [ $((b - a)) -lt 30 ] && return 0
    waited=$((waited + 2))
  done
}

run_ours() {  # model batch threads steps warmup
  node bin/au-lens.js bench "$MODE" --model "$1" --batch "$2" --threads "$3" --steps "$4" --warmup "$5" --reps "$REPS" | tail -n 1
}

ROWS=()
for model in "${MODELS[@]}"; do
  batch=${BATCH:-$(default_batch "$model")}
  steps=${STEPS:-$(default_steps "$model")}
  warmup=${WARMUP:-2}
  for th in $THREADS; do
    for round in $(seq 1 "$ROUNDS"); do
      echo "== $model $MODE batch $batch threads $th (round $round): ours, then PyTorch" >&2
      wait_quiet
      ours=$(run_ours "$model" "$batch" "$th" "$steps" "$warmup")
      wait_quiet
      peer=$(run_peer "$(peer_script "$model")" --model "$(peer_name "$model")" --batch "$batch" --threads "$th" --steps "$steps" --warmup "$warmup" --reps "$REPS" --mode "$MODE" || true)
      [ -n "$peer" ] || { echo "   (the peer failed for $model; see its output above)" >&2; peer='{}'; }
      ROWS+=("$(jq -cn --argjson o "$ours" --argjson p "$peer" '{o: $o, p: $p}')")
    done
  done
done

fmt() { jq -r "$1"; }
printf '\n| model | mode | thr | batch | ours img/s med (min–max) | PyTorch img/s med (min–max) | ours/PyTorch | ours GFLOP/s | RSS ours / PyTorch MB | other CPUs ours / PyTorch (max) |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
for row in "${ROWS[@]}"; do
  echo "$row" | fmt '
    def r(x): if x == null then "–" else (x * 10 | round / 10 | tostring) end;
    def range(j): if j.img_s_median == null then "–" else "\(r(j.img_s_median)) (\(r(j.img_s_min))–\(r(j.img_s_max)))" end;
    def busy(j): if j.foreign_cpus_reps == null then "–" else ([j.foreign_cpus_reps[] | select(. != null)] | if length == 0 then "–" else (max * 100 | round / 100 | tostring) end) end;
    "| \(.o.model) | \(.o.mode) | \(.o.threads) | \(.o.batch) | \(range(.o)) | \(range(.p)) | " +
    (if .p.img_s_median == null then "–" else "\((.o.img_s_median / .p.img_s_median * 100 | round) / 100)×" end) +
    " | \(r(.o.gflops_median)) | \(r(.o.peak_rss_mb)) / \(r(.p.peak_rss_mb)) | \(busy(.o)) / \(busy(.p)) |"'
done
