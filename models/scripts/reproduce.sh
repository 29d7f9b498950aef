#!/usr/bin/env bash
# End-to-end rebuild of the shipped detector, as it was run for the shipped version (2-core CPU).
# Usage: models/scripts/reproduce.sh <version>   (from the repository root; ~75 min on 2 cores)
set -euo pipefail
VERSION="${1:?version, e.g. 0.2.0}"
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
# 1. render the synthetic shelves once (~0.13 CPU-s per 640 px image) into models/.cache/synth
nice -n 10 $PY -m shelfwatch_train.render --split train --count 2400
nice -n 10 $PY -m shelfwatch_train.render --split train2 --count 3600
nice -n 10 $PY -m shelfwatch_train.render --split test --count 200
nice -n 10 $PY -m shelfwatch_train.render --split train3 --count 3000
# 2. train 44 min on the first two shards, then fine-tune 10 min on all three (train3 adds printed price tags)
nice -n 10 $PY -m shelfwatch_train.train --minutes 44 --out runs/main --data .cache/synth/train .cache/synth/train2
nice -n 10 $PY -m shelfwatch_train.train --minutes 10 --lr 1e-3 --warmup 20 --init runs/main/last.pt --out runs/ft \
  --data .cache/synth/train .cache/synth/train2 .cache/synth/train3
# 3. export FP32 + both INT8 variants (head output convs float / quantized) and point the manifest at them
$PY -m shelfwatch_train.export --ckpt runs/ft/last.pt --version "$VERSION" --float-head both --calib-count 64 \
  --calib .cache/synth/train .cache/synth/train3 --manifest
# 4. evaluate (TypeScript, onnxruntime-node): held-out synthetic set, SKU-110K row proxy, latency
pnpm --filter @shelfwatch/shared build && pnpm --filter @shelfwatch/models build
node dist/eval-cli.js --models "shelfwatch-det-$VERSION.fp32.onnx,shelfwatch-det-$VERSION.int8.onnx,shelfwatch-det-$VERSION.int8-qhead.onnx" \
  --synthetic .cache/synth/test/labels.json --real ../../shared/data/sku110k-shelf-sample --draw 4 --out runs/eval.json
