#!/usr/bin/env bash
# Every check that needs a GPU, in one script for a lent machine (about 7 minutes in all).
#   cp -r ../shared/data/anime-faces-64 data/   (git-ignored), carry `data`, then:
#   bash benchmarks/gpu_check.sh [seconds-per-recipe]
# RECIPES="modern" trains one recipe only; SPEED=0 skips the speed table (for a quality run that has
# to fit a 15-minute lease: SPEED=0 RECIPES=modern bash benchmarks/gpu_check.sh 480).
# Everything it prints also goes to $OUT/log.txt (or ./gpu-out); each recipe's all-pairs picture
# goes beside it. Each part has its own time limit, so one that stalls cannot eat the others' time.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=src PYTHONUNBUFFERED=1 ACGAN_CACHE=${ACGAN_CACHE:-/tmp/acgan-cache}
out=${OUT:-gpu-out}
seconds=${1:-90}
data=${DATA:-data/anime-faces-64}
work=${WORK:-/tmp/acgan-gpu}
recipes=${RECIPES:-classic modern}
mkdir -p "$out" "$work"
exec > >(tee -a "$out/log.txt") 2>&1

echo "== device"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__)"

if [ "${SPEED:-1}" != 0 ]; then
    echo "== 1. training speed: acgan's step against the naive loop (64 px, width 64)"
    timeout 200 python3 benchmarks/train_speed.py --steps 30 --warmup 10
fi

echo "== 2. tagger on the real faces (64 px)"
timeout 90 python3 -m acgan tagger train --data "$data" --resolution 64 --epochs 30 -o "$work/tagger" 2>&1 | tr "\r" "\n" | grep -v "^tagger:"

echo "== 3. recipes ($recipes), ${seconds} s of training each, then eval"
for recipe in $recipes; do
    timeout --signal=INT "$seconds" python3 -m acgan train --data "$data" --recipe "$recipe" --steps 1000000 \
        --checkpoint-every 100000 --sample-every 100000 --log-every 500 --keep-checkpoints 1 \
        --out "$work/$recipe" > "$work/$recipe.out" 2>&1
    tr '\r' '\n' < "$work/$recipe.out" | grep -v "^training:" | grep -v "^ *$" | tail -n 25
    tail -n 2 "$work/$recipe/log.jsonl"
    timeout 60 python3 -m acgan eval "$work/$recipe" --tagger "$work/tagger" --out "$work/$recipe-eval"
    timeout 30 python3 -m acgan generate "$work/$recipe" --all-pairs --seed 7 -o "$out/$recipe-pairs.png"
done
echo "== done"
