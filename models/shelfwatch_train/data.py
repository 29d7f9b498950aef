"""Training samples from the cached synthetic renders: random scale crops, mosaic, flips, colour,
resampling-filter and JPEG re-encode jitter (so small preprocessing differences do not move the
output: the phone, the server and other letterbox kernels all resample a little differently)."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import torch
from PIL import Image


RESAMPLE = (Image.BILINEAR, Image.BOX, Image.LANCZOS, Image.BICUBIC)  # BOX = area average
RESAMPLE_P = (0.4, 0.25, 0.2, 0.15)


class ShelfCache:
    """All cached JPEG bytes and boxes of one or more splits, held in memory: rendered ones
    (`labels.npz`) or pseudo-labelled photos (`labels.json`, from `pseudo-label-cli`), xyxy pixels."""

    def __init__(self, dirs: list[str]):
        self.jpegs: list[bytes] = []
        self.boxes: list[np.ndarray] = []
        for d in dirs:
            if os.path.exists(os.path.join(d, "labels.npz")):
                lab = np.load(os.path.join(d, "labels.npz"))
                items = {key: lab[key] for key in lab.files}
            else:
                with open(os.path.join(d, "labels.json")) as f:  # the renders' JSON layout
                    items = {im["file"].rsplit(".", 1)[0]: np.asarray(im["boxes"], np.float32) for im in json.load(f)["images"]}
            for key in sorted(items):
                with open(os.path.join(d, key + ".jpg"), "rb") as f:
                    self.jpegs.append(f.read())
                self.boxes.append(items[key].astype(np.float32).reshape(-1, 4))

    def __len__(self) -> int:
        return len(self.jpegs)

    def image(self, i: int) -> Image.Image:
        return Image.open(io.BytesIO(self.jpegs[i])).convert("RGB")


def _crop(cache: ShelfCache, rng: np.random.Generator, out: int, scale: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    i = int(rng.integers(0, len(cache)))
    img = cache.image(i)
    W, H = img.size
    s = float(np.exp(rng.uniform(np.log(scale[0]), np.log(scale[1]))))
    c = min(int(round(out / s)), W, H)
    x0, y0 = int(rng.integers(0, W - c + 1)), int(rng.integers(0, H - c + 1))
    f = RESAMPLE[int(rng.choice(len(RESAMPLE), p=RESAMPLE_P))]
    patch = img.resize((out, out), f, box=(x0, y0, x0 + c, y0 + c))
    b = cache.boxes[i].copy()
    area0 = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    b[:, [0, 2]] = (b[:, [0, 2]] - x0).clip(0, c)
    b[:, [1, 3]] = (b[:, [1, 3]] - y0).clip(0, c)
    area1 = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    # keep boxes mostly inside the crop; the rest are cut-off fragments the model may not see as products
    b = b[(area1 > 0.45 * np.maximum(area0, 1e-6)) & (b[:, 2] - b[:, 0] > 2) & (b[:, 3] - b[:, 1] > 2)]
    b *= out / c
    a = np.asarray(patch)
    if rng.random() < 0.5:
        a = a[:, ::-1]
        b = b[:, [2, 1, 0, 3]].copy()
        b[:, [0, 2]] = out - b[:, [0, 2]]
    return a, b


def sample(cache: ShelfCache, rng: np.random.Generator, size: int = 320, mosaic: float = 0.3,
           scale: tuple[float, float] = (0.6, 1.6)) -> tuple[np.ndarray, np.ndarray]:
    """One training image (size, size, 3) uint8 and its boxes (N, 4) xyxy."""
    if rng.random() < mosaic:
        half = size // 2
        a = np.empty((size, size, 3), np.uint8)
        bs = []
        for k, (ox, oy) in enumerate([(0, 0), (half, 0), (0, half), (half, half)]):
            p, b = _crop(cache, rng, half, (scale[0], scale[1]))
            a[oy:oy + half, ox:ox + half] = p
            bs.append(b + np.array([ox, oy, ox, oy], np.float32))
        a, b = a, np.concatenate(bs)
    else:
        a, b = _crop(cache, rng, size, scale)
    # colour: per-channel gain, brightness, contrast
    f = a.astype(np.float32)
    f = (f - 128) * rng.uniform(0.75, 1.3) + 128 + rng.uniform(-25, 25)
    f *= rng.uniform(0.88, 1.12, 3)
    if rng.random() < 0.1:
        f = f.mean(2, keepdims=True).repeat(3, 2)
    a = f.clip(0, 255).astype(np.uint8)
    if rng.random() < 0.3:  # a second JPEG generation, as a phone photo re-encoded for upload
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, "JPEG", quality=int(rng.integers(40, 96)))
        a = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return a, b


def batch(cache: ShelfCache, rng: np.random.Generator, n: int, size: int = 320, mosaic: float = 0.3):
    imgs, targets = [], []
    for _ in range(n):
        a, b = sample(cache, rng, size, mosaic)
        imgs.append(a)
        targets.append(torch.from_numpy(b))
    x = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float().div_(255)
    return x, targets
