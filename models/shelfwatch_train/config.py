"""One YAML file per training run: what it trained on, how, and with which libraries.

`RunConfig` holds every setting of a run (data, seed, schedule in steps, learning rate,
augmentation, init). `train --config run.yaml` reruns a saved one; every run writes `run.yaml`
beside its checkpoint with the settings, the library versions and a checksum per data folder, so
that a result can be traced to its inputs and a rerun on the same machine (CPU) repeats it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import platform
from dataclasses import dataclass

import yaml


@dataclass
class RunConfig:
    data: list[str]
    out: str
    steps: int
    batch: int = 16
    size: int = 320
    lr: float = 1e-3
    warmup: int = 100
    seed: int = 0
    threads: int = 2
    init: str = "coco"
    init_class: str = "bottle"
    freeze_stem: bool = True
    mosaic: float = 0.3
    close_mosaic: float = 0.85
    device: str = "cpu"
    workers: int = 0
    log_every: int = 25
    save_every: int = 100
    max_minutes: float | None = None

    @classmethod
    def load(cls, path: str, **overrides) -> "RunConfig":
        """Reads the `config` section of a run file (or a bare mapping); unknown keys are refused."""
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        if not isinstance(doc, dict):
            raise SystemExit(f"{path}: not a YAML mapping")
        values = doc.get("config", doc)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise SystemExit(f"{path}: unknown settings {unknown} (known: {sorted(known)})")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def data_checksum(folder: str) -> str:
    """sha256 over the split's labels and the names and sizes of its images (cheap, and changes when a render does)."""
    h = hashlib.sha256()
    labels = os.path.join(folder, "labels.npz")
    if not os.path.exists(labels):
        labels = os.path.join(folder, "labels.json")  # a pseudo-labelled split
    with open(labels, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    for root, _, files in sorted(os.walk(folder)):
        for name in sorted(files):
            if name.endswith((".jpg", ".png")):
                p = os.path.join(root, name)
                h.update(f"{os.path.relpath(p, folder)}:{os.path.getsize(p)}\n".encode())
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    import numpy
    import torch

    out = {"python": platform.python_version(), "torch": str(torch.__version__), "numpy": str(numpy.__version__)}
    try:
        import onnx

        out["onnx"] = str(onnx.__version__)
    except ImportError:
        pass
    return out


def write_run_file(cfg: RunConfig, path: str, result: dict | None = None) -> None:
    doc = {"config": dataclasses.asdict(cfg), "libraries": library_versions(),
           "data_sha256": {d: data_checksum(d) for d in cfg.data}, "machine": platform.machine()}
    if result is not None:
        doc["result"] = result
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
