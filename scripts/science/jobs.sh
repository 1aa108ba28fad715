# Sourced by the science scripts: train and evaluate runs JOBS at a time (default 1) and skip the finished ones, so
# a long table can use every core (with THREADS=1, one job per core) and a stopped script picks up where it stopped.
# A job is finished when its evaluation JSON exists; delete that file to redo it.
# The sourcing script sets `data` (the dataset), `epochs` and `threads` (an array of engine-thread flags, maybe empty).
jobs_max=${JOBS:-1}
job_pids=()

# job EVAL_JSON COMMAND... : runs COMMAND (a shell function) in the background unless EVAL_JSON exists.
job() {
  local done_file=$1; shift
  if [ -s "$done_file" ]; then echo "skip (done): $done_file"; return 0; fi
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
  "$@" &
  job_pids+=("$!")
}

# jobs_wait: waits for every job; fails if any failed (each one's log says why).
jobs_wait() {
  local pid failed=0
  for pid in "${job_pids[@]}"; do wait "$pid" || failed=1; done
  job_pids=()
  return "$failed"
}

# train_and_eval RUN SEED TRAIN_FLAGS... : trains RUN afresh with the seed and flags, appends its wall time to
# times.txt beside it, and evaluates its best checkpoint on its seed's test subjects (RUN.train.log, RUN.eval.json,
# RUN.eval.txt).
train_and_eval() {
  local run=$1 seed=$2 start; shift 2
  rm -rf "${run:?}"
  start=$(date +%s)
  node bin/au-lens.js train --data "$data" --out "$run" --epochs "$epochs" --seed "$seed" "${threads[@]}" "$@" \
    > "$run.train.log" 2>&1
  echo "$(basename "$run"): trained in $(( $(date +%s) - start )) s (load $(cut -d' ' -f1-3 /proc/loadavg))" \
    | tee -a "$(dirname "$run")/times.txt"
  node bin/au-lens.js eval --checkpoint "$run/best.ckpt" --data "$data" --split test "${threads[@]}" \
    --json "$run.eval.json" > "$run.eval.txt" 2>&1
}

# run_job RUN SEED TRAIN_FLAGS... : train_and_eval as a job, skipped once RUN.eval.json exists.
run_job() {
  job "$1.eval.json" train_and_eval "$@"
}
