# Sourced by the science scripts: run training jobs JOBS at a time (default 1) and skip the finished ones, so a
# long table can use every core (with THREADS=1, one job per core) and a stopped script picks up where it stopped.
# A job is finished when its evaluation JSON exists; delete that file to redo it.
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
