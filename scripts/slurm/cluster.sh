#!/usr/bin/env bash
# A real single-node Slurm cluster for tests: this host is the controller and the one compute node.
#
#   bash scripts/slurm/cluster.sh install     installs Debian's munge, slurmctld, slurmd and slurm-client if they
#                                             are missing (root; scripts/test.sh runs it with its other setup)
#   bash scripts/slurm/cluster.sh start DIR   installs Debian's munge, slurmctld, slurmd and slurm-client if they
#                                             are missing (root), writes a munge key and slurm.conf into DIR, starts
#                                             munged, slurmctld and slurmd with all their state in DIR, and waits
#                                             until `sinfo` shows the node idle. Prints `export SLURM_CONF=…`:
#                                             Slurm's commands find the cluster through it.
#   bash scripts/slurm/cluster.sh stop DIR    stops the three daemons started in DIR (by their pid files).
#
# Everything lives in DIR (a fresh temp folder per run), on ports chosen free at start, so reruns start clean and
# a system Slurm, if any, is left alone. Needs root: slurmd starts jobs as their users. No slurmdbd: accounting
# storage is off, so `sacct` answers "accounting storage is disabled"; finished jobs stay in `squeue`/`scontrol`
# for MinJobAge seconds and are logged by jobcomp/filetxt in DIR/jobcomp.log.
set -euo pipefail

usage() { echo "usage: $0 install | start DIR | stop DIR" >&2; exit 2; }
action="${1:-}"
if [ "$action" = install ]; then
  [ $# -eq 1 ] || usage
else
  [ $# -eq 2 ] || usage
  mkdir -p "$2"
  dir="$(cd "$2" && pwd)"
fi

stop() {
  local name pid alive pids=()
  for name in slurmd slurmctld munged; do
    [ -f "$dir/$name.pid" ] && pids+=("$(cat "$dir/$name.pid")")
    rm -f "$dir/$name.pid"
  done
  [ ${#pids[@]} -eq 0 ] && return
  kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 100); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && return 0
    sleep 0.1
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
}

install_missing() {
  local pkg missing=()
  for pkg in munge slurmctld slurmd slurm-client; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" -ne 0 ]; then
    echo "slurm cluster: missing Debian packages: ${missing[*]}" \
      "(run as root, or: sudo apt-get install -y ${missing[*]})" >&2
    return 1
  fi
  echo "== installing Debian packages: ${missing[*]}" >&2
  apt-get update -qq
  # Should the packages start their own services, those use /etc and the default ports and socket: not ours.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null
}

free_port() {
  node -e 'const s = require("net").createServer();
    s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

write_conf() {
  local node cpus mem ctld_port slurmd_port hw
  # The node's name, real CPUs and memory as slurmd itself sees them (a node that claims more is drained).
  hw="$(slurmd -C | head -n 1)"
  node="$(sed -n 's/^NodeName=\([^ ]*\).*/\1/p' <<<"$hw")"
  cpus="$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hw")"
  mem="$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")"
  ctld_port="$(free_port)" slurmd_port="$(free_port)"
  cat > "$dir/slurm.conf" <<CONF
ClusterName=aulens-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/slurmd
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MinJobAge=600
SlurmdTimeout=30
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
  [ "$(id -u)" -eq 0 ] || { echo "slurm cluster: needs root (slurmd runs jobs as their users)" >&2; exit 1; }
  install_missing
  stop
  mkdir -p "$dir/ctld" "$dir/slurmd"
  chmod 700 "$dir"
  rm -f "$dir/munge.key"
  mungekey --create --keyfile="$dir/munge.key"
  write_conf
  local started=$SECONDS t0
  t0="$(date +%s%N)"
  munged --force --key-file="$dir/munge.key" --socket="$dir/munge.socket" --pid-file="$dir/munged.pid" \
    --log-file="$dir/munged.log" --seed-file="$dir/munged.seed"
  export SLURM_CONF="$dir/slurm.conf"
  # The daemons keep the folder they start in as theirs (core files and the like): DIR, not the caller's.
  (cd "$dir" && slurmctld -i && slurmd)
  until sinfo -h -o '%T' 2>/dev/null | grep -qx idle; do
    if [ $((SECONDS - started)) -gt 60 ]; then
      echo "slurm cluster: the node is not idle after 60 s; sinfo says: $(sinfo -h 2>&1)" >&2
      tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
      stop; exit 1
    fi
    sleep 0.2
  done
  echo "slurm cluster: node idle $(( ($(date +%s%N) - t0) / 1000000 )) ms after the daemons started" >&2
  echo "export SLURM_CONF=$dir/slurm.conf"
}

case "$action" in
  install) install_missing ;;
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
