#!/usr/bin/env bash
# Every check that needs a GPU, in one script for a lent machine (about 12 minutes in all).
#   copy ../shared/data/anime-faces-64 to data/anime-faces-64 (git-ignored) and carry it, then:
#   bash benchmarks/gpu_check.sh [minutes-per-recipe]
# Writes everything under $OUT (or ./gpu-out): the speed table, the runs' logs, grids and eval reports.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=src ACGAN_CACHE=${ACGAN_CACHE:-/tmp/acgan-cache}
out=${OUT:-gpu-out}
minutes=${1:-4}
data=data/anime-faces-64
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"

# 1. Training speed: acgan's step against the naive loop, batch 64 / 256 / 1024, 64 px, width 64.
python3 benchmarks/train_speed.py --steps 50 --warmup 20 | tee "$out/train_speed.md"

# 2. The same wall time for each recipe on the real faces at 64 px, with the light evaluation on.
python3 -m acgan tagger train --data "$data" --resolution 64 --epochs 30 --device cuda -o "$out/tagger" \
    | tee "$out/tagger.txt"
for recipe in classic modern; do
    timeout --signal=INT "$((minutes * 60))" python3 -m acgan train --data "$data" --recipe "$recipe" \
        --steps 1000000 --eval-every 1000 --tagger "$out/tagger" --checkpoint-every 1000 \
        --sample-every 1000 --out "$out/$recipe" || true
    python3 -m acgan eval "$out/$recipe" --tagger "$out/tagger" --out "$out/$recipe/eval" | head -12
done
