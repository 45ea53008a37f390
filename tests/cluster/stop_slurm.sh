#!/usr/bin/env bash
# Stop the one-node SLURM cluster of tests/cluster/start_slurm.sh.
#
#   tests/cluster/stop_slurm.sh                      # stop slurmd, slurmctld and munged
#   tests/cluster/stop_slurm.sh slurmd slurmctld     # stop only these (e.g. those a test started)
#
# Each daemon is stopped by its own pid file (/run/slurmd.pid, /run/slurmctld.pid,
# /run/munge/munged.pid), never by name. Stopping a daemon that is not running is fine.
set -uo pipefail

daemons=("$@")
[ ${#daemons[@]} -gt 0 ] || daemons=(slurmd slurmctld munged)

pidfile_of() {
  case "$1" in
    slurmd) echo /run/slurmd.pid ;;
    slurmctld) echo /run/slurmctld.pid ;;
    munged) echo /run/munge/munged.pid ;;
    *) echo "" ;;
  esac
}

stop_one() {
  local name=$1 pidfile pid
  pidfile=$(pidfile_of "$name")
  [ -n "$pidfile" ] || { echo "[stop_slurm] unknown daemon '$name'" >&2; return 1; }
  if [ ! -s "$pidfile" ]; then
    echo "[stop_slurm] $name: no pid file, not running"
    return 0
  fi
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "[stop_slurm] $name (pid $pid) did not stop after 10 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "[stop_slurm] stopped $name (pid $pid)"
  else
    echo "[stop_slurm] $name: pid $pid not running"
  fi
  rm -f "$pidfile"
}

# order: compute daemon, controller, then authentication
for name in slurmd slurmctld munged; do
  for wanted in "${daemons[@]}"; do
    [ "$wanted" = "$name" ] && stop_one "$name"
  done
done
exit 0
