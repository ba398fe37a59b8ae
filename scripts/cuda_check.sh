#!/usr/bin/env bash
# Shows that the `cuda` cargo feature (candle's CUDA backend for
# `norclin pretrain`) compiles, on a machine without a GPU or a system CUDA
# toolkit: installs NVIDIA's nvcc and headers from PyPI into a venv
# ($HOME/.cache/norclin/venv-cuda), then runs `cargo check --features cuda`,
# which builds candle's PTX kernels with that nvcc. Not part of CI (minutes
# of build, a GB of toolkit); running on a GPU needs the driver as well.
#
#   scripts/cuda_check.sh [COMPUTE_CAP]     # default 90 (H100/H200)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${NORCLIN_CUDA_VENV:-$HOME/.cache/norclin/venv-cuda}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
# One CUDA release for every piece: cicc (nvvm) and ptxas must agree.
"$VENV/bin/pip" install -q "nvidia-cuda-nvcc==13.2.*" "nvidia-nvvm==13.2.*" "nvidia-cuda-crt==13.2.*" \
  "nvidia-cuda-runtime==13.2.*" nvidia-cuda-cccl nvidia-cublas nvidia-curand
CUDA="$("$VENV/bin/python" -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13"))')"
export PATH="$CUDA/bin:$PATH" CUDA_ROOT="$CUDA" CUDA_PATH="$CUDA" CUDA_HOME="$CUDA"
export CUDA_COMPUTE_CAP="${1:-90}"
export CARGO_TARGET_DIR="${NORCLIN_CUDA_TARGET:-$HOME/.cache/norclin/target-cuda}"
nvcc --version | tail -1
cargo check --locked --features cuda --lib --bin norclin
echo "cuda feature: compiles (nvcc $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'), compute capability $CUDA_COMPUTE_CAP)"
