#!/usr/bin/env bash
# A bayesnu trial campaign on a real (single-node) SLURM through dask-jobqueue.
#
# What it does (needs root, Debian/Ubuntu):
#   1. apt-get install slurm-wlm munge (skipped when installed), start munged;
#   2. write a single-node slurm.conf (this host, loopback, 2 CPUs, one partition "debug")
#      and start slurmctld + slurmd;
#   3. run `bayesnu ps trials --cluster slurm --cluster-config <yaml>`: dask-jobqueue submits
#      one SLURM batch job that starts a dask worker; the campaign's chunks run there;
#   4. run the same campaign serially and check that both give identical trials;
#      then the same for 2 scrambled skies of `bayesnu flare scan --cluster slurm` (nside 8);
#   5. print the commands, timings and the job accounting, then stop slurmd/slurmctld.
#
# Usage:  bash benchmarks/slurm_campaign.sh [WORKDIR]     (default: a new folder from mktemp -d)
# CPU use is kept small: one job with one core, niced.
set -euo pipefail

WORK=${1:-$(mktemp -d -t bayesnu-slurm.XXXXXX)}
N=${N_TRIALS:-2000}
CHUNK=${CHUNK:-100}
HOST=$(hostname -s)
mkdir -p "$WORK"
cd "$WORK"

if ! command -v slurmctld >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge
fi

# --- munge (authentication between SLURM daemons)
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
munge -n | unmunge >/dev/null && echo "munge: ok"

# --- single-node SLURM on this host
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
chown slurm:slurm /var/spool/slurmctld /var/log/slurm
CPUS=$(nproc)
MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
cat > /etc/slurm/slurm.conf <<EOF
ClusterName=bayesnu-test
SlurmctldHost=${HOST}(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=${HOST} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=${MEM} State=UNKNOWN
PartitionName=debug Nodes=${HOST} Default=YES MaxTime=60 State=UP
EOF
pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld
pgrep -x slurmd >/dev/null || /usr/sbin/slurmd
for _ in $(seq 30); do
    sinfo -h -o "%t" 2>/dev/null | grep -qE "idle|mix|alloc" && break
    scontrol update nodename="$HOST" state=resume 2>/dev/null || true
    sleep 1
done
echo "--- sinfo"; sinfo

# --- dask-jobqueue configuration: one job = one single-threaded dask worker on 1 core
cat > "$WORK/slurm_cluster.yaml" <<EOF
cores: 1
processes: 1
memory: 2GB
walltime: "00:20:00"
queue: debug
interface: lo
job_script_prologue: ["export OMP_NUM_THREADS=1", "renice -n 19 \$\$ >/dev/null"]
log_directory: $WORK/jobs
jobs: 1
EOF
mkdir -p "$WORK/jobs"
echo "--- cluster config"; cat "$WORK/slurm_cluster.yaml"

# one command twice: through SLURM into WORK/<name>_slurm, then serially into WORK/<name>_serial
# (JSON on stdout into WORK/<name>_slurm.json / _serial.json); prints both wall times
slurm_and_serial() {
    local name=$1 serial_opt=$2
    shift 2
    rm -rf "$WORK/${name}_slurm" "$WORK/${name}_serial"
    echo "--- command"
    echo "bayesnu $* --out $WORK/${name}_slurm --cluster slurm --cluster-config $WORK/slurm_cluster.yaml"
    local t0 t1 t2
    t0=$(date +%s.%N)
    nice -n 19 bayesnu "$@" --out "$WORK/${name}_slurm" --cluster slurm \
        --cluster-config "$WORK/slurm_cluster.yaml" > "$WORK/${name}_slurm.json"
    t1=$(date +%s.%N)
    # shellcheck disable=SC2086  # serial_opt is empty or one option with its value
    nice -n 19 bayesnu "$@" --out "$WORK/${name}_serial" $serial_opt > "$WORK/${name}_serial.json"
    t2=$(date +%s.%N)
    echo "--- timings of $name"
    printf "slurm (1 core per job, incl. job start): %.1f s\n" "$(echo "$t1 - $t0" | bc)"
    printf "serial (this process):                  %.1f s\n" "$(echo "$t2 - $t1" | bc)"
}

rm -rf "$WORK/jobs"/*
slurm_and_serial camp "--scheduler serial" ps trials --data ic86_2011 --source "NGC 1068" \
    --n "$N" --chunk-size "$CHUNK" --seed 11 --quiet --json
echo "--- result"
python - "$WORK" <<'EOF'
import json, sys
from pathlib import Path
w = Path(sys.argv[1])
a = json.loads((w / "camp_slurm" / "trials.json").read_text())
b = json.loads((w / "camp_serial" / "trials.json").read_text())
s = json.loads((w / "camp_slurm.json").read_text())
print("trials:", len(a["ts"]), "identical to serial:", a["ts"] == b["ts"] and a["ns"] == b["ns"]
      and a["gamma"] == b["gamma"])
print("chunks run on SLURM:", s["campaign"]["chunks_run"], " wall s:",
      round(s["campaign"]["wall_seconds"], 1), " cpu s in chunks:",
      round(s["campaign"]["cpu_seconds_in_chunks"], 2))
print("median TS:", round(s["ts_quantiles"]["0.5"], 4), " data TS:", round(s["data_ts"], 3),
      " p:", round(s["data_p_value"], 4))
EOF
# --- the flare scan through the same SLURM (flare scan --cluster): the observed sky's pixels and
# 2 scrambled skies all run in the one 1-core job; the serial run does both in this process
slurm_and_serial scan "" flare scan --data ic86_2011 --nside 8 --scrambles 2 --seed 3 \
    --workers 1 --quiet --json
python - "$WORK" <<'EOF'
import sys
from pathlib import Path

import numpy as np
from bayesnu.inference.campaign import load_campaign

w = Path(sys.argv[1])
fields = ("pixels", "ts", "ns", "gamma", "t0", "sigma_t")
with np.load(w / "scan_slurm" / "observed_scan.npz") as za, \
        np.load(w / "scan_serial" / "observed_scan.npz") as zb:
    same = all(np.array_equal(za[k], zb[k], equal_nan=k != "pixels") for k in fields)
    print("observed scan:", za["pixels"].size, "pixels, maps identical to serial:", same)
import json
print("observed scan ran on:",
      json.loads((w / "scan_slurm.json").read_text()).get("observed_scan_ran_on"))
a = load_campaign(w / "scan_slurm" / "scrambles")
b = load_campaign(w / "scan_serial" / "scrambles")
print("scrambled skies:", a.data["ts"].shape[0], "pixels:", a.data["ts"].shape[1],
      "TS maps identical to serial:", bool(np.array_equal(a.data["ts"], b.data["ts"])),
      "hottest TS north/south:", a.data["ts_north"].round(3).tolist(),
      a.data["ts_south"].round(3).tolist())
EOF

echo "--- SLURM jobs of the campaign (accounting not configured: slurmctld log and job logs)"
grep -E "sched: Allocate JobId|_job_complete" /var/log/slurm/slurmctld.log | tail -4 || true
ls -1 "$WORK/jobs" | head
grep -h -E "Start worker|Registered to" "$WORK"/jobs/*.err 2>/dev/null | head -4 || true
if [ "${KEEP_SLURM:-0}" != 1 ]; then  # stop the daemons this script started, by pid file
    scontrol shutdown >/dev/null 2>&1 || true
    sleep 2
    for f in /run/slurmd.pid /run/slurmctld.pid; do
        [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
fi
