#!/usr/bin/env bash
# Starts a throw-away single-node cluster (cluster.sh), times what the sweep tests rely on, prints one JSON line
# and stops the cluster: the node idle in sinfo, `srun hostname`, and a 3-task `sbatch --array` until all ended.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d)"
trap 'bash "$here/cluster.sh" stop "$dir"; rm -rf "$dir"' EXIT
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

t="$(date +%s%N)"
eval "$(bash "$here/cluster.sh" start "$dir")"
idle_ms="$(ms "$t")"

t="$(date +%s%N)"
host="$(srun --chdir="$dir" hostname)"
srun_ms="$(ms "$t")"

cat >"$dir/array.sh" <<SCRIPT
#!/bin/bash
#SBATCH --array=0-2
#SBATCH --output=$dir/array-%a.out
#SBATCH --error=$dir/array-%a.out
#SBATCH --chdir=$dir
echo "task \$SLURM_ARRAY_TASK_ID on \$(hostname)"
SCRIPT
t="$(date +%s%N)"
job="$(cd "$dir" && sbatch --parsable "$dir/array.sh")"
while squeue -h -j "$job" -t PENDING,RUNNING,CONFIGURING,COMPLETING 2>/dev/null | grep -q .; do sleep 0.1; done
array_ms="$(ms "$t")"
states="$(squeue -h -r -t all -j "$job" -o '%T' | sort | uniq -c | awk '{printf "%s%s:%s", (NR>1?",":""), $2, $1}')"
outputs="$(cat "$dir"/array-*.out | wc -l)"

printf '{"cluster_start_to_idle_ms":%s,"srun_hostname_ms":%s,"srun_host":"%s",' "$idle_ms" "$srun_ms" "$host"
printf '"array3_ms":%s,"array3_states":"%s","array3_outputs":%s,' "$array_ms" "$states" "$outputs"
cpu="$(lscpu | sed -n 's/^Model name: *//p')"
printf '"cpus":%s,"cpu":"%s","slurm":"%s"}\n' "$(nproc)" "$cpu" "$(sinfo -V | awk '{print $2}')"
