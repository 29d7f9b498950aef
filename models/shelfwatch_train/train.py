"""Train the detector on the cached synthetic shelves, on CPU, within a wall-clock budget.

    nice -n 10 /usr/bin/python3 -m shelfwatch_train.train --minutes 35 --out runs/main

The learning-rate schedule (warm-up, then cosine) runs on elapsed time rather than on a step
count, so a run on a busy 2-core machine still ends on time with a fully decayed rate.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import time

import numpy as np
import torch

from . import data
from .loss import detection_loss
from .model import Core, count_macs, count_params

WIDTHS = {"n": ((16, 32, 64, 128, 160), 64), "tiny": ((8, 16, 16, 32, 32), 16)}


class Ema:
    """Exponential moving average of the weights (and BN statistics), as in YOLOv5/v8."""

    def __init__(self, model: torch.nn.Module, decay: float = 0.999, tau: float = 300.0):
        self.model = copy.deepcopy(model).eval()
        self.decay, self.tau, self.updates = decay, tau, 0
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        msd = model.state_dict()
        for k, v in self.model.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
            else:
                v.copy_(msd[k])


def train(dirs: list[str], out: str, minutes: float, batch: int = 16, size: int = 320, lr: float = 3e-3,
          width: str = "n", seed: int = 0, max_steps: int | None = None, threads: int = 2,
          log_every: int = 25, init: str | None = None, warmup: int = 150) -> str:
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    os.makedirs(out, exist_ok=True)
    cache = data.ShelfCache(dirs)
    w, neck = WIDTHS[width]
    model = Core(w, neck)
    if init:  # fine-tune from a checkpoint (e.g. on new renders), same widths
        st = torch.load(init, map_location="cpu")
        model.load_state_dict(st["model"])
    info = {"init": init, "width": width, "widths": w, "neck": neck, "params": count_params(model),
            "macs_640": count_macs(model, (640, 640)), "images": len(cache), "batch": batch, "crop": size}
    print(json.dumps(info), flush=True)
    model.train()
    ema = Ema(model)
    decay, no_decay = [], []
    for n_, p in model.named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0}], lr=lr)
    budget = minutes * 60
    t0 = time.time()
    step = 0
    hist: list[dict] = []
    while True:
        el = time.time() - t0
        frac = el / budget
        if frac >= 1 or (max_steps is not None and step >= max_steps):
            break
        warm = min(1.0, (step + 1) / max(1, warmup))
        cur = lr * warm * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(frac, 1))))
        for g in opt.param_groups:
            g["lr"] = cur
        # no mosaic in the last 15 %: finish on whole-scene crops, like YOLOv8's close_mosaic
        x, targets = data.batch(cache, rng, batch, size, mosaic=0.3 if frac < 0.85 else 0.0)
        cls, box = model(x)
        loss, parts = detection_loss(cls, box, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        ema.update(model)
        step += 1
        hist.append({"loss": loss.item(), **parts})
        if step % log_every == 0:
            m = {k: float(np.mean([h[k] for h in hist[-log_every:]])) for k in hist[-1]}
            print(f"step {step} t={el:.0f}s lr={cur:.5f} " + " ".join(f"{k}={v:.3f}" for k, v in m.items()), flush=True)
        if step % 500 == 0:
            torch.save({"model": ema.model.state_dict(), "info": info, "step": step}, os.path.join(out, "last.pt"))
    info.update({"steps": step, "seconds": round(time.time() - t0), "samples": step * batch})
    ckpt = os.path.join(out, "last.pt")
    torch.save({"model": ema.model.state_dict(), "info": info, "step": step}, ckpt)
    with open(os.path.join(out, "train_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    print("done", json.dumps(info), flush=True)
    return ckpt


def main() -> None:
    ap = argparse.ArgumentParser()
    here = os.path.dirname(__file__)
    ap.add_argument("--data", nargs="+", default=[os.path.join(here, "..", ".cache", "synth", s) for s in ("train", "train2", "train3")])
    ap.add_argument("--out", default=os.path.join(here, "..", "runs", "main"))
    ap.add_argument("--minutes", type=float, default=35)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--width", default="n", choices=sorted(WIDTHS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--init", default=None, help="checkpoint to start from (fine-tuning)")
    ap.add_argument("--warmup", type=int, default=150, help="warm-up steps")
    a = ap.parse_args()
    dirs = [d for d in a.data if os.path.exists(os.path.join(d, "labels.npz"))]
    train(dirs, a.out, a.minutes, a.batch, a.size, a.lr, a.width, a.seed, a.max_steps, a.threads, a.log_every, a.init, a.warmup)


if __name__ == "__main__":
    main()
