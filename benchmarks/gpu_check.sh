#!/usr/bin/env bash
# Every check that needs a GPU, in one script for a lent machine: about 9 minutes in all, so one run fits a
# 15-minute lease (a machine takes 1-2 minutes to start).
#   cp -r ../shared/data/anime-faces-64 data/; cp -r TAGGER data/tagger64   (both git-ignored), carry `data`, then:
#   bash benchmarks/gpu_check.sh [training-seconds]
#
# 1. candidates for the shipped model (the default recipe at 64 px), trained side by side for the same wall
#    time, each with light evaluations that keep a 'best' checkpoint (CANDIDATES overrides the list);
#    meanwhile the speed benchmark's compiled graphs are built once, so its timed pass reuses them;
# 2. the speed table (benchmarks/train_speed.py), alone on the GPU;
# 3. each candidate's full evaluation with the carried tagger, and its generator packed as the package ships
#    it (fp16 + record) into $OUT with its logs and reports.
# Each part has its own time limit, so one that stalls cannot eat the others' time. SPEED=0 skips part 2.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=src PYTHONUNBUFFERED=1 ACGAN_CACHE=${ACGAN_CACHE:-/tmp/acgan-cache}
out=${OUT:-gpu-out}
seconds=${1:-270}
data=${DATA:-data/anime-faces-64}
tagger=${TAGGER:-data/tagger64}
work=${WORK:-/tmp/acgan-gpu}
# name:extra train options, one per candidate (the default recipe's width 64 keeps the fp16 file under 10 MB).
# The last runs eagerly, as insurance: the first lease's captured runs failed (fixed since; see PERFORMANCE.md).
candidates=${CANDIDATES:-"b64:--batch-size=64 b128:--batch-size=128 b64-eager:--compile=off"}
order="--recipes modern classic --batches 64 1024 256"  # the default recipe's rows first, should time run out
jobs=()
mkdir -p "$out" "$work"
exec > >(tee -a "$out/log.txt") 2>&1

echo "== device"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__)"
timeout 60 python3 -m acgan data check "$data" --resolution 64 | tail -n 2  # decodes once into the cache

echo "== 1. candidates, ${seconds} s each, side by side (compile: graph)"
for spec in $candidates; do
    name=${spec%%:*}
    options=${spec#*:}
    options=${options//=/ }
    # shellcheck disable=SC2086  # the options are words
    timeout --signal=INT --kill-after=30 "$seconds" python3 -m acgan train --data "$data" --compile graph $options --steps 1000000 \
        --checkpoint-every 4000 --keep-checkpoints 1 --sample-every 1000000 --log-every 500 \
        --eval-every 4000 --tagger "$tagger" --out "$work/$name" > "$work/$name.out" 2>&1 &
    jobs+=($!)
done
if [ "${SPEED:-1}" != 0 ]; then  # build the compiled graphs into Inductor's cache while the candidates train
    timeout "$seconds" python3 benchmarks/train_speed.py --steps 1 --warmup 1 --modes modules step-graph $order \
        > "$work/warm.out" 2>&1 &
    jobs+=($!)
fi
# The host's CPU, if it has bf16 units, shows what --precision bf16 buys there (4 cores the candidates leave alone).
OMP_NUM_THREADS=4 timeout "$seconds" taskset -c 12-15 python3 benchmarks/train_speed.py --device cpu --steps 4 \
    --warmup 1 --modes naive off --precisions fp32 bf16 --batches 64 > "$work/cpu.out" 2>&1 &
jobs+=($!)
wait "${jobs[@]}"  # these jobs only: a bare `wait` also waits for the tee above, which never ends
echo "-- the host CPU: $(grep -m1 'model name' /proc/cpuinfo); bf16 units: $(grep -o -m1 'avx512_bf16\|amx_bf16' /proc/cpuinfo)"
cat "$work/cpu.out"
for spec in $candidates; do
    name=${spec%%:*}
    echo "-- $name"
    tr '\r' '\n' < "$work/$name.out" | grep -v "^training:" | grep -v "^ *$" | tail -n 4
    grep eval_score "$work/$name/log.jsonl" | tail -n 3
    tail -n 1 "$work/$name/log.jsonl"
done

if [ "${SPEED:-1}" != 0 ]; then
    echo "== 2. training speed, alone on the GPU"
    timeout 150 python3 benchmarks/train_speed.py --steps 30 --warmup 10 --modes naive off modules graph step-graph \
        $order
fi

echo "== 3. evaluation and packing"
for spec in $candidates; do
    name=${spec%%:*}
    for checkpoint in best latest; do
        flag=$([ "$checkpoint" = best ] && echo "--checkpoint best" || echo "")
        # shellcheck disable=SC2086
        timeout 60 python3 -m acgan eval "$work/$name" $flag --tagger "$tagger" --out "$work/$name/eval-$checkpoint" \
            | grep -E "^\| (hair|eyes|both|Fr|diversity)" | sed "s/^/$name $checkpoint: /"
        timeout 30 python3 -c "
import sys; from pathlib import Path
from acgan.run.checkpoint import find_checkpoint
from acgan.sample.shipped import pack_generator
pack_generator(find_checkpoint(sys.argv[1], None if sys.argv[2] == 'latest' else sys.argv[2]), Path(sys.argv[3]))
" "$work/$name" "$checkpoint" "$work/$name/packed-$checkpoint"
    done
    tar -C "$work" -czf "$out/$name.tgz" "$name/config.json" "$name/log.jsonl" "$name/eval-best" "$name/eval-latest" \
        "$name/packed-best" "$name/packed-latest" "$name.out"
done
ls -la "$out"
echo "== done"
