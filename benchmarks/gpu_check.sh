#!/usr/bin/env bash
# Every check that needs a GPU, for one 15-minute lease, in two commands (a command may run 10 minutes; the machine
# stays warm for 30 s between them, so the second must follow at once):
#
#   cp -r ../shared/data/anime-faces-64 data/            (git-ignored; carry `data`)
#   bash benchmarks/gpu_check.sh train      # ~9.5 min: the captured step's speed at batch 64/128/256 (1 min),
#                                           # then recipe v2 at 64 px for TRAIN_SECONDS (default 480)
#   bash benchmarks/gpu_check.sh finish     # ~4 min: evaluate the last and the best checkpoint with the shipped
#                                           # tagger, pack the better one, the speed table in the time left
#
# Everything lands in $OUT: log.txt, the run's config/log/evaluations, the packed model, the tables.
# Small on the CPU (the same steps, a few minutes): COMPILE=off DEVICE=cpu TRAIN_SECONDS=120 SPEED=0 EVAL_FACES=100
#   CHECKPOINT_EVERY=20 EVAL_EVERY=20 LOG_EVERY=10 TRAIN_FLAGS="--width 8" EVAL_SECONDS=600   (python3 with torch)
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=src PYTHONUNBUFFERED=1 ACGAN_CACHE=${ACGAN_CACHE:-/tmp/acgan-cache}
out=${OUT:-gpu-out}
data=${DATA:-data/anime-faces-64}
work=${WORK:-/tmp/acgan-gpu}
run=$work/v2
tagger=src/acgan/shipped/tagger.json            # the judge the targets are stated in
batch=${BATCH:-64}                              # the batch recipe v2 was decided at (docs/RESULTS.md)
compile=${COMPILE:-graph}                       # the whole step captured as one CUDA graph
device=${DEVICE:-cuda}
mkdir -p "$out" "$work"
exec > >(tee -a "$out/log.txt") 2>&1

train() {
    echo "== device"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
    python3 -c "import torch; print('torch', torch.__version__)"
    timeout 90 python3 -m acgan data check "$data" --resolution 64 | tail -n 2  # decodes once into the cache
    if [ "${SPEED:-1}" != 0 ]; then
        echo "== images/s of the captured step (recipe v2, 64 px), batch 64 / 128 / 256"
        timeout 75 python3 benchmarks/train_speed.py --device "$device" --recipes modern --modes "$compile" \
            --batches 64 128 256 --steps 40 --warmup 10
    fi
    echo "== recipe v2 at 64 px, batch $batch, ${TRAIN_SECONDS:-480} s"
    timeout --signal=INT --kill-after=30 "${TRAIN_SECONDS:-480}" python3 -m acgan train --data "$data" \
        --device "$device" --compile "$compile" --batch-size "$batch" --steps 100000000 \
        --checkpoint-every "${CHECKPOINT_EVERY:-5000}" --keep-checkpoints 2 --sample-every 100000000 \
        --log-every "${LOG_EVERY:-500}" --eval-every "${EVAL_EVERY:-5000}" --tagger "$tagger" --out "$run" \
        ${TRAIN_FLAGS:-} > "$work/train.out" 2>&1  # TRAIN_FLAGS: e.g. "--width 8" for the CPU rehearsal
    tr '\r' '\n' < "$work/train.out" | grep -v "^training:" | grep -v "^ *$" | tail -n 5
    grep eval_score "$run/log.jsonl" | tail -n 4
    tail -n 1 "$run/log.jsonl"
}

finish() {
    echo "== evaluation of the last and the best checkpoint (shipped tagger)"
    local faces=${EVAL_FACES:-1000}
    for checkpoint in latest best; do
        flag=$([ "$checkpoint" = best ] && echo "--checkpoint best" || echo "")
        # shellcheck disable=SC2086  # the flag is words
        timeout "${EVAL_SECONDS:-120}" python3 -m acgan eval "$run" $flag --data "$data" --tagger "$tagger" \
            --frechet-faces "$faces" --out "$run/eval-$checkpoint" 2>&1 | grep -E "^(\| |error|verdict)" \
            | sed "s/^/$checkpoint: /"
    done
    better=$(python3 - "$run" <<'EOF'
import json, sys
from pathlib import Path
from acgan.judge.evaluate import selection_score
scores = {c: selection_score(json.loads((Path(sys.argv[1]) / f"eval-{c}" / "report.json").read_text()))
          for c in ("latest", "best") if (Path(sys.argv[1]) / f"eval-{c}" / "report.json").exists()}
print(max(scores, key=scores.get) if scores else "latest")  # no evaluation finished: the last one
EOF
)
    echo "-- packing the $better checkpoint"
    flag=$([ "$better" = best ] && echo "--checkpoint best" || echo "")
    # shellcheck disable=SC2086
    python3 -m acgan pack "$run" $flag -o "$out/packed"
    tar -C "$work" -czf "$out/v2-run.tgz" v2/config.json v2/log.jsonl v2/eval-latest v2/eval-best train.out
    if [ "${SPEED:-1}" != 0 ]; then
        echo "== the speed table (every mode, batches 64 / 256 / 1024, the naive loop beside them)"
        timeout "${SPEED_SECONDS:-150}" python3 benchmarks/train_speed.py --device "$device" --steps 30 --warmup 10 \
            --modes naive off modules graph step-graph --recipes modern classic --batches 64 1024 256
    fi
    ls -la "$out"
    echo "== done"
}

case "${1:-}" in
    train) train ;;
    finish) finish ;;
    *) echo "usage: bash benchmarks/gpu_check.sh train|finish" >&2; exit 2 ;;
esac
