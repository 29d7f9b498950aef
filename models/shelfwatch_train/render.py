"""Render a synthetic split once and cache it: JPEG files plus one labels .npz.

    /usr/bin/python3 -m shelfwatch_train.render --split train --count 2400 --out .cache/synth
"""

from __future__ import annotations

import argparse
import io
import json
import os
from multiprocessing import Pool
from typing import NamedTuple

import numpy as np

from . import synth

FREIBURG = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "freiburg-groceries")

class Split(NamedTuple):
    seed: int  # base seed: image i is rendered from seed + i
    crops: str  # Freiburg classes used: "train", "heldout" or "none"
    crop_prob: float  # share of real crops among the products
    extras: bool = False  # signs, posters, floors, cooler doors, yaw +-30
    stacks: float = 0.0  # share of facings stacked as flat packs
    seams: bool = False  # a shadow between stacked packs, packs slightly off one another


SPLITS = {
    "train": Split(1_000_000, "train", 0.65),
    "train2": Split(1_500_000, "train", 0.65),  # a second training shard, other seeds
    "train3": Split(1_700_000, "train", 0.65),  # rendered with printed price tags and promotion tags
    "train4": Split(1_900_000, "train", 0.65, extras=True),
    "train5": Split(1_950_000, "train", 0.65, extras=True),  # a second shard of those
    "train6": Split(2_100_000, "train", 0.65, extras=True, stacks=0.35),  # and stacks of 2-5 flat packs
    "train7": Split(2_200_000, "train", 0.65, extras=True, stacks=0.2, seams=True),  # fewer, with seams
    "test": Split(2_000_000, "heldout", 0.65),  # unseen packaging: held-out Freiburg classes only
    "fixture": Split(3_000_000, "none", 0.0),  # procedural only: reproducible without the data set
}

_crops: list = []


def _init(split: str, freiburg: str) -> None:
    global _crops
    which = SPLITS[split].crops
    if which == "none" or not os.path.isdir(freiburg):
        _crops = []
    elif which == "train":
        _crops = synth.load_freiburg_crops(freiburg, exclude=set(synth.HELDOUT_CLASSES))
    else:
        _crops = synth.load_freiburg_crops(freiburg, classes=set(synth.HELDOUT_CLASSES))


def _one(args: tuple[str, int, str, int]) -> tuple[int, np.ndarray]:
    split, i, out_dir, size = args
    sp = SPLITS[split]
    rng = np.random.default_rng(sp.seed + i)
    img, boxes = synth.render_shelf(rng, _crops, out_size=size, crop_prob=sp.crop_prob if _crops else 0.0, jpeg=False,
                                    extras=sp.extras, stacks=sp.stacks, seams=sp.seams)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=int(rng.integers(35, 96)))  # the JPEG artefacts are part of the data
    with open(os.path.join(out_dir, f"{i:05d}.jpg"), "wb") as f:
        f.write(buf.getvalue())
    return i, boxes


def render_split(split: str, count: int, out: str, size: int = 640, workers: int = 2,
                 freiburg: str = FREIBURG) -> str:
    out_dir = os.path.join(out, split)
    os.makedirs(out_dir, exist_ok=True)
    with Pool(workers, initializer=_init, initargs=(split, freiburg)) as pool:
        res = dict(pool.imap_unordered(_one, [(split, i, out_dir, size) for i in range(count)], chunksize=8))
    boxes = [res[i] for i in range(count)]
    np.savez_compressed(os.path.join(out_dir, "labels.npz"), **{f"{i:05d}": b for i, b in enumerate(boxes)})
    # plain JSON labels too, for the TypeScript evaluator
    with open(os.path.join(out_dir, "labels.json"), "w") as f:
        json.dump({"imgsz": size, "images": [{"file": f"{i:05d}.jpg", "boxes": np.round(b, 2).tolist()}
                                               for i, b in enumerate(boxes)]}, f)
    n = sum(len(b) for b in boxes)
    print(f"{split}: {count} images, {n} boxes ({n / max(1, count):.1f}/image) -> {out_dir}")
    return out_dir


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=sorted(SPLITS), required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", ".cache", "synth"))
    ap.add_argument("--size", type=int, default=640)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--freiburg", default=FREIBURG)
    a = ap.parse_args()
    render_split(a.split, a.count, a.out, a.size, a.workers, a.freiburg)


if __name__ == "__main__":
    main()
