#!/usr/bin/env bash
# Start a real one-node SLURM cluster on this machine (Debian/Ubuntu, as root), for
# tests/test_slurm.py and for trying profiles/slurm by hand.
#
#   tests/cluster/start_slurm.sh      # installs slurm-wlm + munge if missing, starts munged, slurmctld, slurmd
#   tests/cluster/stop_slurm.sh       # stops what this script started
#
# Idempotent: daemons already running are left alone. Prints, as its last lines,
# "started: <daemons>" (the daemons this call started, possibly none) so a caller
# can stop only those. Exit status != 0 with the reason when SLURM cannot be set up.
set -euo pipefail

SLURM_CONF=/etc/slurm/slurm.conf
HOST=$(hostname -s)

log() { echo "[start_slurm] $*"; }
die() { echo "[start_slurm] ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (installs packages and starts slurmctld/slurmd/munged)"

alive() {  # alive <pidfile>: the pid in the file is a running process
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# ---- packages ----------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null \
   || ! command -v sbatch >/dev/null; then
  command -v apt-get >/dev/null || die "slurm-wlm/munge are missing and apt-get is not available"
  log "installing slurm-wlm munge (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q || die "apt-get update failed"
  apt-get install -y -q --no-install-recommends slurm-wlm munge </dev/null || die "apt-get install slurm-wlm munge failed"
fi

started=()

# ---- munge -------------------------------------------------------------------
MUNGE_PID=/run/munge/munged.pid
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
if [ ! -s /etc/munge/munge.key ]; then
  log "creating munge key"
  if command -v mungekey >/dev/null; then
    mungekey -c -f -k /etc/munge/munge.key
  else
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  fi
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if alive "$MUNGE_PID"; then
  log "munged already running (pid $(cat "$MUNGE_PID"))"
else
  log "starting munged"
  rm -f "$MUNGE_PID" /run/munge/munge.socket.2*
  # --force: a stale socket left by a killed munged is not an error
  runuser -u munge -- /usr/sbin/munged --force --pid-file="$MUNGE_PID" \
    || die "munged did not start (see /var/log/munge/munged.log)"
  for _ in $(seq 50); do alive "$MUNGE_PID" && break; sleep 0.1; done
  alive "$MUNGE_PID" || die "munged did not start (see /var/log/munge/munged.log)"
  started+=(munged)
fi
munge -n | unmunge >/dev/null || die "munge -n | unmunge failed"

# ---- slurm.conf --------------------------------------------------------------
CPUS=$(nproc)
TOTAL_MB=$(free -m | awk '/^Mem:/ {print $2}')
# leave room for the OS, the daemons and the Snakemake main process
MARGIN_MB=$(( TOTAL_MB / 10 > 1024 ? TOTAL_MB / 10 : 1024 ))
REAL_MB=$(( TOTAL_MB - MARGIN_MB ))
[ "$REAL_MB" -gt 512 ] || REAL_MB=512

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
NEW_CONF=$(mktemp)
cat >"$NEW_CONF" <<CONF
# Written by tests/cluster/start_slurm.sh: a one-node test cluster (no accounting).
ClusterName=local
SlurmctldHost=$HOST
AuthType=auth/munge
CryptoType=crypto/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SlurmUser=root
SlurmdUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SchedulerType=sched/backfill
# start queued jobs as soon as a CPU frees up (defaults wait up to 30 s for backfill)
SchedulerParameters=bf_interval=1,batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
# short timeouts: a test cluster that starts and stops often
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
NodeName=$HOST CPUs=$CPUS RealMemory=$REAL_MB State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
if ! cmp -s "$NEW_CONF" "$SLURM_CONF"; then
  if alive /run/slurmctld.pid || alive /run/slurmd.pid; then
    log "NOTE: $SLURM_CONF differs from what this script writes, but SLURM is running: keeping the running configuration"
    rm -f "$NEW_CONF"
  else
    [ -f "$SLURM_CONF" ] && cp "$SLURM_CONF" "$SLURM_CONF.bak.$(date +%s)"
    mv "$NEW_CONF" "$SLURM_CONF"
    chmod 0644 "$SLURM_CONF"
    log "wrote $SLURM_CONF (node $HOST: CPUs=$CPUS RealMemory=$REAL_MB)"
  fi
else
  rm -f "$NEW_CONF"
fi

# ---- daemons -----------------------------------------------------------------
if alive /run/slurmctld.pid; then
  log "slurmctld already running (pid $(cat /run/slurmctld.pid))"
else
  log "starting slurmctld"
  rm -f /run/slurmctld.pid
  # -c: a test cluster starts clean; jobs saved by a controller that was killed (a stopped
  # session) would otherwise hold the node's CPUs and keep the test job below from running
  slurmctld -c || die "slurmctld did not start; last log lines:
$(tail -n 20 /var/log/slurm/slurmctld.log 2>/dev/null)"
  for _ in $(seq 100); do alive /run/slurmctld.pid && break; sleep 0.1; done
  alive /run/slurmctld.pid || die "slurmctld exited; last log lines:
$(tail -n 20 /var/log/slurm/slurmctld.log 2>/dev/null)"
  started+=(slurmctld)
fi
if alive /run/slurmd.pid; then
  log "slurmd already running (pid $(cat /run/slurmd.pid))"
else
  log "starting slurmd"
  rm -f /run/slurmd.pid
  slurmd || die "slurmd did not start; last log lines:
$(tail -n 20 /var/log/slurm/slurmd.log 2>/dev/null)"
  for _ in $(seq 100); do alive /run/slurmd.pid && break; sleep 0.1; done
  alive /run/slurmd.pid || die "slurmd exited; last log lines:
$(tail -n 20 /var/log/slurm/slurmd.log 2>/dev/null)"
  started+=(slurmd)
fi

# ---- wait until usable ---------------------------------------------------------
log "waiting for node $HOST to become idle"
state=""
# bounded by the clock: with the controller unreachable each sinfo call itself retries for long
deadline=$((SECONDS + 60))
while [ "$SECONDS" -lt "$deadline" ]; do
  state=$(timeout 5 sinfo -h -n "$HOST" -o '%T' 2>/dev/null | head -n1 || true)
  case "$state" in
    idle|mixed|allocated|completing) break ;;
    down*|drain*|fail*) scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.5
done
case "$state" in
  idle|mixed|allocated|completing) log "node $HOST is $state" ;;
  *) die "node $HOST is not usable (state '${state:-none}'); sinfo: $(timeout 10 sinfo 2>&1)
slurmctld log: $(tail -n 20 /var/log/slurm/slurmctld.log 2>/dev/null)
slurmd log: $(tail -n 20 /var/log/slurm/slurmd.log 2>/dev/null)" ;;
esac

log "test job: sbatch --wrap hostname"
OUT=$(mktemp -d)
jobid=$(sbatch --parsable --output="$OUT/hostname.out" --time=1 --mem=10 --wrap hostname) \
  || die "sbatch failed"
jobid=${jobid%%;*}
deadline=$((SECONDS + 120))
while [ "$SECONDS" -lt "$deadline" ]; do
  [ -z "$(timeout 5 squeue -h -j "$jobid" 2>/dev/null)" ] && break
  sleep 0.5
done
[ -s "$OUT/hostname.out" ] || die "test job $jobid did not run within 120 s (no output); squeue: $(timeout 10 squeue 2>&1)
slurmd log: $(tail -n 20 /var/log/slurm/slurmd.log 2>/dev/null)"
log "test job $jobid ran on $(cat "$OUT/hostname.out")"
rm -rf "$OUT"

log "SLURM is up"
echo "started: ${started[*]:-}"
