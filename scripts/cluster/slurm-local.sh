#!/usr/bin/env bash
# A one-node Slurm cluster on loopback, for tests: munged, slurmctld and slurmd with every
# file (config, key, state, spool, logs, sockets) under one folder.
#
#   scripts/cluster/slurm-local.sh up DIR     # start; prints `export SLURM_CONF=DIR/slurm.conf`
#   scripts/cluster/slurm-local.sh down DIR   # cancel its jobs, stop the daemons it started
#
# Needs root (slurmd runs jobs as their owner) and Debian's slurm-wlm and munge packages;
# no systemd or cgroups (proctrack/linuxproc, task/none). `down` stops only the processes
# whose pids `up` wrote in DIR/pids, and waits for each at most 20 s before SIGKILL.
# When a daemon does not come up, `up` prints its log and exits 1 (after stopping the rest).
set -euo pipefail

usage() { echo "usage: $0 up|down DIR" >&2; exit 64; }
[ $# = 2 ] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
conf=$dir/slurm.conf

log_of() { echo "----- $1 -----" >&2; cat "$dir/$1" >&2 2>/dev/null || echo "(no log)" >&2; }

# Waits up to $1 seconds for the command in the remaining arguments to succeed.
wait_for() {
    local limit=$1; shift
    local end=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < end)) || return 1
        sleep 0.2
    done
}

alive() { kill -0 "$1" 2>/dev/null; }

stop_pid() {
    local pid=$1 end=$((SECONDS + 20))
    alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    while alive "$pid" && ((SECONDS < end)); do sleep 0.2; done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
}

down() {
    [ -f "$dir/pids" ] || return 0
    if [ -f "$conf" ] && command -v scancel >/dev/null; then
        # Jobs first, so that slurmd reaps its job steps before it stops.
        SLURM_CONF=$conf timeout 10 scancel --full --user="$(id -un)" 2>/dev/null || true
        SLURM_CONF=$conf wait_for 20 bash -c '[ -z "$(squeue -h -o %i 2>/dev/null)" ]' || true
    fi
    # slurmd, slurmctld, munged: the reverse of the start order.
    tac "$dir/pids" | while read -r name pid; do stop_pid "$pid"; done
    rm -f "$dir/pids"
}

free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
    echo "no free port found" >&2; return 1
}

up() {
    [ "$(id -u)" = 0 ] || { echo "slurm-local.sh up needs root (slurmd runs jobs as their owners)" >&2; exit 1; }
    for tool in munged slurmctld slurmd sbatch; do
        command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || {
            echo "$tool not found: apt-get install slurm-wlm munge (scripts/install-deps.sh --test)" >&2; exit 1; }
    done
    export PATH=$PATH:/usr/sbin
    [ ! -f "$dir/pids" ] || { echo "$dir already holds a running cluster (down it first)" >&2; exit 1; }
    chmod 755 "$dir"
    setpriv --reuid=munge --regid=munge --clear-groups -- test -x "$dir" || {
        echo "the munge user cannot reach $dir: every folder above it needs o+x" >&2; exit 1; }
    mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
    # munged runs as the munge user and insists on owning its key and folders.
    chown munge:munge "$dir/munge"
    chmod 711 "$dir/munge"   # clients reach the socket in it
    head -c 1024 /dev/urandom > "$dir/munge/munge.key"
    chown munge:munge "$dir/munge/munge.key"
    chmod 400 "$dir/munge/munge.key"
    : > "$dir/pids"
    trap 'echo "slurm-local.sh: start failed" >&2; down' ERR

    setpriv --reuid=munge --regid=munge --clear-groups -- munged --foreground \
        --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
        --seed-file="$dir/munge/munged.seed" --num-threads=2 >"$dir/munged.out" 2>&1 &
    echo "munged $!" >> "$dir/pids"
    if ! wait_for 20 test -S "$dir/munge/munge.socket"; then
        echo "munged did not open its socket within 20 s" >&2
        log_of munged.out; down; exit 1
    fi

    local cpus ctld_port d_port
    cpus=$(nproc)
    ctld_port=$(free_port)
    d_port=$(free_port)
    cat > "$conf" <<EOF
ClusterName=loupetest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=30
KillWait=5
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF=$conf
    slurmctld -D -i -f "$conf" >"$dir/slurmctld.out" 2>&1 &
    echo "slurmctld $!" >> "$dir/pids"
    if ! wait_for 30 scontrol ping; then
        echo "slurmctld did not answer within 30 s" >&2
        log_of slurmctld.out; log_of slurmctld.log; down; exit 1
    fi
    slurmd -D -N localhost -f "$conf" >"$dir/slurmd.out" 2>&1 &
    echo "slurmd $!" >> "$dir/pids"
    if ! wait_for 30 bash -c '[[ "$(sinfo -h -n localhost -o %T)" =~ ^(idle|mixed|allocated) ]]'; then
        echo "the node did not come up within 30 s: $(sinfo -h -o '%T %E' 2>&1)" >&2
        log_of slurmd.out; log_of slurmd.log; log_of slurmctld.log; down; exit 1
    fi
    trap - ERR
    echo "export SLURM_CONF=$conf"
}

case $action in
    up) up ;;
    down) down ;;
    *) usage ;;
esac
