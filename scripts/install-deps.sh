#!/usr/bin/env bash
# Installs what Loupe needs on Debian bookworm, only when missing:
#   Debian: XNNPACK, pthreadpool, libpng, libjpeg-turbo (TurboJPEG API)
#   --test: also the Python packages the tests use as references (never needed at run time).
#   --cluster: also Slurm and munge, for the job-array check (scripts/cluster/slurm-check.sh).
set -euo pipefail
pkgs=(libxnnpack-dev libpthreadpool-dev libpng-dev libturbojpeg0-dev)
[ "${1:-}" = "--cluster" ] && pkgs+=(slurm-wlm munge)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing Debian packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "${1:-}" = "--test" ]; then
    need=()
    python3 -c "import numpy" 2>/dev/null || need+=(numpy)
    python3 -c "import onnx; assert onnx.__version__ == '1.22.0'" 2>/dev/null || need+=(onnx==1.22.0)
    python3 -c "import onnxruntime" 2>/dev/null || need+=(onnxruntime)
    python3 -c "import PIL" 2>/dev/null || need+=(pillow)
    python3 -c "import scipy" 2>/dev/null || need+=(scipy)
    if ((${#need[@]})); then
        echo "installing Python test references: ${need[*]}"
        python3 -m pip install -q --disable-pip-version-check "${need[@]}"
    fi
fi
