#!/usr/bin/env bash
# A one-node Slurm cluster on loopback, for tests: munged, slurmctld and slurmd with every
# file (config, key, state, spool, logs, sockets) under one folder.
#
#   scripts/cluster/slurm-local.sh up DIR     # start; prints `export SLURM_CONF=DIR/slurm.conf`
#   scripts/cluster/slurm-local.sh down DIR   # cancel its jobs, stop the daemons it started
#
# Sourced, it defines slurm_local_up DIR (exports SLURM_CONF) and slurm_local_down DIR,
# which return 1 instead of exiting; the daemons are then children of the calling shell,
# which reaps them when they stop (run as a command, they are left to the init process).
#
# Needs root (slurmd runs jobs as their owner) and Debian's slurm-wlm and munge packages;
# no systemd or cgroups (proctrack/linuxproc, task/none). `down` stops only the processes
# whose pids `up` wrote in DIR/pids, and waits for each at most 20 s before SIGKILL.
# When a daemon does not come up, `up` prints its log and fails (after stopping the rest).

_slurm_local_log() { echo "----- $2 -----" >&2; cat "$1/$2" >&2 2>/dev/null || echo "(no log)" >&2; }

# Waits up to $1 seconds for the command in the remaining arguments to succeed.
_slurm_local_wait() {
    local limit=$1; shift
    local end=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < end)) || return 1
        sleep 0.2
    done
}

# Running, not a zombie (a daemon started from a subshell is reaped by whoever adopted it,
# maybe late, and kill -0 still succeeds on a zombie).
_slurm_local_alive() { [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]; }

_slurm_local_stop() {
    local pid=$1 end=$((SECONDS + 20))
    _slurm_local_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    while _slurm_local_alive "$pid" && ((SECONDS < end)); do sleep 0.2; done
    if _slurm_local_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
}

slurm_local_down() {
    local dir conf name pid
    dir=$(cd "$1" 2>/dev/null && pwd) || return 0
    conf=$dir/slurm.conf
    [ -f "$dir/pids" ] || return 0
    if [ -f "$conf" ] && command -v scancel >/dev/null; then
        # Jobs first, so that slurmd reaps its job steps before it stops.
        SLURM_CONF=$conf timeout 10 scancel --full --user="$(id -un)" 2>/dev/null || true
        SLURM_CONF=$conf _slurm_local_wait 20 bash -c '[ -z "$(squeue -h -o %i 2>/dev/null)" ]' || true
    fi
    # slurmd, slurmctld, munged: the reverse of the start order.
    while read -r name pid; do _slurm_local_stop "$pid"; done < <(tac "$dir/pids")
    rm -f "$dir/pids"
}

_slurm_local_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
    echo "no free port found" >&2; return 1
}

slurm_local_up() {
    local dir conf cpus ctld_port d_port tool
    dir=$(mkdir -p "$1" && cd "$1" && pwd) || return 1
    conf=$dir/slurm.conf
    [ "$(id -u)" = 0 ] || { echo "slurm-local.sh up needs root (slurmd runs jobs as their owners)" >&2; return 1; }
    for tool in munged slurmctld slurmd sbatch; do
        command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || {
            echo "$tool not found: apt-get install slurm-wlm munge (scripts/install-deps.sh --test)" >&2; return 1; }
    done
    export PATH=$PATH:/usr/sbin
    [ ! -f "$dir/pids" ] || { echo "$dir already holds a running cluster (down it first)" >&2; return 1; }
    chmod 755 "$dir"
    setpriv --reuid=munge --regid=munge --clear-groups -- test -x "$dir" || {
        echo "the munge user cannot reach $dir: every folder above it needs o+x" >&2; return 1; }
    mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
    # munged runs as the munge user and insists on owning its key and folders.
    chown munge:munge "$dir/munge"
    chmod 711 "$dir/munge"   # clients reach the socket in it
    head -c 1024 /dev/urandom > "$dir/munge/munge.key"
    chown munge:munge "$dir/munge/munge.key"
    chmod 400 "$dir/munge/munge.key"
    : > "$dir/pids"

    setpriv --reuid=munge --regid=munge --clear-groups -- munged --foreground \
        --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
        --seed-file="$dir/munge/munged.seed" --num-threads=2 >"$dir/munged.out" 2>&1 &
    echo "munged $!" >> "$dir/pids"
    if ! _slurm_local_wait 20 test -S "$dir/munge/munge.socket"; then
        echo "munged did not open its socket within 20 s" >&2
        _slurm_local_log "$dir" munged.out; slurm_local_down "$dir"; return 1
    fi

    cpus=$(nproc)
    ctld_port=$(_slurm_local_port)
    d_port=$(_slurm_local_port)
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
    if ! _slurm_local_wait 30 scontrol ping; then
        echo "slurmctld did not answer within 30 s" >&2
        _slurm_local_log "$dir" slurmctld.out; _slurm_local_log "$dir" slurmctld.log; slurm_local_down "$dir"; return 1
    fi
    slurmd -D -N localhost -f "$conf" >"$dir/slurmd.out" 2>&1 &
    echo "slurmd $!" >> "$dir/pids"
    if ! _slurm_local_wait 30 bash -c '[[ "$(sinfo -h -n localhost -o %T)" =~ ^(idle|mixed|allocated) ]]'; then
        echo "the node did not come up within 30 s: $(sinfo -h -o '%T %E' 2>&1)" >&2
        _slurm_local_log "$dir" slurmd.out; _slurm_local_log "$dir" slurmd.log; _slurm_local_log "$dir" slurmctld.log; slurm_local_down "$dir"; return 1
    fi
    echo "export SLURM_CONF=$conf"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    [ $# = 2 ] || { echo "usage: $0 up|down DIR" >&2; exit 64; }
    case $1 in
        up) slurm_local_up "$2" ;;
        down) slurm_local_down "$2" ;;
        *) echo "usage: $0 up|down DIR" >&2; exit 64 ;;
    esac
fi
