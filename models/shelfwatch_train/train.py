"""Fine-tune NanoDet-g (COCO weights) to one class `product` on the cached synthetic shelves.

    nice -n 10 /usr/bin/python3 -m shelfwatch_train.train --steps 1000 --out runs/main            # 2-core CPU
    /usr/bin/python3 -m shelfwatch_train.train --steps 1000 --device cuda --workers 8 --out runs/gpu

The schedule (warm-up, cosine decay, mosaic closed for the last 15 %) is in steps, so a run has the
same schedule on any machine; size --steps from a measured step time.
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
from .config import RunConfig, write_run_file
from .loss import detection_loss
from .nanodet import ShelfNanoDet, count_macs, count_params, fold_input, load_coco, random_init


class Ema:
    """Exponential moving average of the weights, as in YOLOv5/v8."""

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


class Batches(torch.utils.data.IterableDataset):
    """Endless training batches; each DataLoader worker draws from its own seed."""

    def __init__(self, dirs: list[str], seed: int, batch: int, size: int, mosaic: float):
        self.dirs, self.seed, self.bs, self.size, self.mosaic = dirs, seed, batch, size, mosaic
        self.cache: data.ShelfCache | None = None

    def __iter__(self):
        wi = torch.utils.data.get_worker_info()
        rng = np.random.default_rng([self.seed, wi.id if wi else 0, int(self.mosaic * 100)])
        cache = self.cache or data.ShelfCache(self.dirs)
        while True:
            yield data.batch(cache, rng, self.bs, self.size, self.mosaic)


def build(init: str, init_class: str) -> ShelfNanoDet:
    """`coco`: NanoDet-g COCO weights (needs the cached package, see nanodet.fetch); `random`; a
    checkpoint (`.pt`); or an FP32 export (`.onnx`, e.g. the shipped model)."""
    if init == "coco":
        return fold_input(load_coco(), init_class)
    model = random_init()
    if init.endswith(".onnx"):
        from .export import weights_from_onnx

        model.load_state_dict(weights_from_onnx(init))
    elif init != "random":
        model.load_state_dict(torch.load(init, map_location="cpu")["model"])
    return model


def train(cfg: RunConfig) -> str:
    """Runs `cfg` and returns the checkpoint path; writes `run.yaml` (settings, libraries, data checksums) beside it."""
    dirs, out, steps, batch, size, lr, seed = cfg.data, cfg.out, cfg.steps, cfg.batch, cfg.size, cfg.lr, cfg.seed
    threads, log_every, init, warmup, init_class = cfg.threads, cfg.log_every, cfg.init, cfg.warmup, cfg.init_class
    freeze_stem, device, workers, max_minutes, save_every = cfg.freeze_stem, cfg.device, cfg.workers, cfg.max_minutes, cfg.save_every
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    os.makedirs(out, exist_ok=True)
    run_file = os.path.join(out, "run.yaml")
    write_run_file(cfg, run_file)
    dev = torch.device(device)
    model = build(init, init_class)
    frozen = [model.net.stem, model.net.stage1] if freeze_stem else []
    for m in frozen:
        for p in m.parameters():
            p.requires_grad_(False)
    cache = data.ShelfCache(dirs)
    info = {"arch": "nanodet-g", "init": init, "init_class": init_class, "freeze_stem": freeze_stem,
            "params": count_params(model), "macs_640": count_macs(model, (640, 640)), "images": len(cache),
            "batch": batch, "crop": size, "lr": lr, "steps_planned": steps, "device": device, "data": dirs}
    print(json.dumps(info), flush=True)
    model.to(dev).train()
    ema = Ema(model)
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0}], lr=lr)
    close = int(steps * cfg.close_mosaic)  # then no mosaic: finish on whole-scene crops (YOLOv8's close_mosaic)

    def loader(mosaic: float):
        ds = Batches(dirs, seed, batch, size, mosaic)
        if workers == 0:
            ds.cache = cache
        return iter(torch.utils.data.DataLoader(ds, batch_size=None, num_workers=workers,
                                                persistent_workers=False, pin_memory=dev.type == "cuda"))
    it = loader(cfg.mosaic)
    t0 = time.time()
    step = 0
    hist: list[dict] = []
    ckpt = os.path.join(out, "last.pt")

    def save() -> None:
        info.update({"steps": step, "seconds": round(time.time() - t0), "samples": step * batch})
        torch.save({"model": ema.model.state_dict(), "info": info, "step": step}, ckpt)
    while step < steps:
        el = time.time() - t0
        if max_minutes is not None and el > max_minutes * 60:
            print(f"stopping at step {step}: --max-minutes {max_minutes} reached", flush=True)
            break
        if step == close:
            it = loader(0.0)
        warm = min(1.0, (step + 1) / max(1, warmup))
        cur = lr * warm * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        for g in opt.param_groups:
            g["lr"] = cur
        x, targets = next(it)
        outs = model(x.to(dev, non_blocking=True))
        loss, parts = detection_loss(outs, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 10.0)
        opt.step()
        ema.update(model)
        step += 1
        hist.append({"loss": loss.item(), **parts})
        if step % log_every == 0:
            m = {k: float(np.mean([h[k] for h in hist[-log_every:]])) for k in hist[-1]}
            print(f"step {step} t={el:.0f}s lr={cur:.5f} " + " ".join(f"{k}={v:.3f}" for k, v in m.items()), flush=True)
        if step % save_every == 0:
            save()
    save()
    with open(os.path.join(out, "train_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    write_run_file(cfg, run_file, {k: info[k] for k in ("steps", "seconds", "samples", "params")})
    print("done", json.dumps(info), flush=True)
    return ckpt


def main() -> None:
    ap = argparse.ArgumentParser()
    here = os.path.dirname(__file__)
    ap.add_argument("--config", help="a run file (run.yaml of an earlier run, or a bare mapping): its settings, "
                    "with any of the options below given on the command line overriding them")
    ap.add_argument("--data", nargs="+")
    ap.add_argument("--out")
    ap.add_argument("--steps", type=int, help="schedule length (warm-up, cosine decay, close mosaic at 85 %%)")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--size", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--log-every", type=int)
    ap.add_argument("--save-every", type=int)
    ap.add_argument("--init", help="coco (pretrained NanoDet-g), random, a checkpoint path, or an FP32 .onnx export")
    ap.add_argument("--init-class", choices=["bottle", "cup", "bottle+cup", "none"],
                    help="COCO class whose logit initialises `product` (with --init coco)")
    ap.add_argument("--no-freeze-stem", action="store_true", help="also train the stem and the first CSP stage")
    ap.add_argument("--warmup", type=int, help="warm-up steps")
    ap.add_argument("--device", help="cpu or cuda")
    ap.add_argument("--workers", type=int, help="DataLoader worker processes (use several with --device cuda)")
    ap.add_argument("--max-minutes", type=float, help="hard stop (the schedule is in steps)")
    a = ap.parse_args()
    given = {k: getattr(a, k) for k in ("data", "out", "steps", "batch", "size", "lr", "seed", "threads", "log_every",
                                        "save_every", "init", "init_class", "warmup", "device", "workers", "max_minutes")}
    if a.no_freeze_stem:
        given["freeze_stem"] = False
    if a.config:
        cfg = RunConfig.load(a.config, **given)
    else:
        if given["steps"] is None:
            raise SystemExit("--steps (or --config) is required")
        given.setdefault("data", None)
        if given["data"] is None:
            given["data"] = [os.path.join(here, "..", ".cache", "synth", s) for s in ("train", "train3", "train4")]
        if given["out"] is None:
            given["out"] = os.path.join(here, "..", "runs", "main")
        cfg = RunConfig(**{k: v for k, v in given.items() if v is not None})
    missing = [d for d in cfg.data if not any(os.path.exists(os.path.join(d, f)) for f in ("labels.npz", "labels.json"))]
    if missing:
        raise SystemExit(f"no split with labels.npz (rendered) or labels.json (pseudo-labelled) at {missing}")
    train(cfg)


if __name__ == "__main__":
    main()
