"""A compact anchor-free single-stride detector with a YOLOv8-style decoupled head.

Backbone (ReLU, BatchNorm) down to stride 32, a small top-down FPN back to stride 8, and a
decoupled head (class branch, box branch) on the stride-8 grid: 80x80 = 6400 predictions at
640 px, which suits dense shelves of 12-120 px products. Boxes are plain l,t,r,b distances
(softplus x stride) from each cell centre, no DFL. ReLU everywhere because it fuses into the
quantized convolutions; the sigmoid and box decoding stay in float outside the quantized core.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

STRIDE = 8


class ConvBnAct(nn.Module):
    def __init__(self, c1: int, c2: int, k: int = 3, s: int = 1, act: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2)
        self.act = nn.ReLU(inplace=False) if act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class ResBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.a = ConvBnAct(c, c // 2, 1)
        self.b = ConvBnAct(c // 2, c, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.b(self.a(x))


class Core(nn.Module):
    """Everything that is quantized: image -> raw class logits (1 ch) and raw box distances (4 ch)."""

    def __init__(self, w: tuple[int, ...] = (16, 32, 48, 96, 128), neck: int = 48):
        super().__init__()
        c1, c2, c3, c4, c5 = w
        self.stem = ConvBnAct(3, c1, 3, 2)  # /2
        self.d2 = ConvBnAct(c1, c2, 3, 2)  # /4
        self.d3 = ConvBnAct(c2, c3, 3, 2)  # /8
        self.b3 = ResBlock(c3)
        self.d4 = ConvBnAct(c3, c4, 3, 2)  # /16
        self.b4 = ResBlock(c4)
        self.d5 = ConvBnAct(c4, c5, 3, 2)  # /32
        self.b5 = ResBlock(c5)
        self.l5 = ConvBnAct(c5, neck, 1)
        self.l4 = ConvBnAct(c4, neck, 1)
        self.l3 = ConvBnAct(c3, neck, 1)
        self.f4 = ConvBnAct(neck, neck, 3)
        self.f3 = ConvBnAct(neck, neck, 3)
        self.cls1 = ConvBnAct(neck, neck, 3)
        self.cls_out = nn.Conv2d(neck, 1, 1)
        self.box1 = ConvBnAct(neck, neck, 3)
        self.box_out = nn.Conv2d(neck, 4, 1)
        nn.init.constant_(self.cls_out.bias, -4.0)  # prior ~2 % positives
        nn.init.constant_(self.box_out.bias, 1.0)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        p3 = self.b3(self.d3(self.d2(self.stem(x))))
        p4 = self.b4(self.d4(p3))
        p5 = self.b5(self.d5(p4))
        t = F.interpolate(self.l5(p5), scale_factor=2.0, mode="nearest") + self.l4(p4)
        t = self.f4(t)
        t = F.interpolate(t, scale_factor=2.0, mode="nearest") + self.l3(p3)
        t = self.f3(t)
        return self.cls_out(self.cls1(t)), self.box_out(self.box1(t))


def decode_ltrb(box_raw: torch.Tensor) -> torch.Tensor:
    """Raw box map (B, 4, H, W) -> l, t, r, b distances in input pixels."""
    return F.softplus(box_raw) * STRIDE


def anchor_points(h: int, w: int, device: torch.device | None = None) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
    return torch.stack([(xs.flatten() + 0.5) * STRIDE, (ys.flatten() + 0.5) * STRIDE], 1).float()  # (HW, 2)


class Exported(nn.Module):
    """Core + float decoding into the Ultralytics YOLOv8 layout [1, 4 + nc, N] (cx, cy, w, h, score)."""

    def __init__(self, core: nn.Module, imgsz: tuple[int, int]):
        super().__init__()
        self.core = core
        h, w = imgsz[0] // STRIDE, imgsz[1] // STRIDE
        a = anchor_points(h, w).t().unsqueeze(0)  # (1, 2, N)
        self.register_buffer("anchors", a, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cls, box = self.core(x)
        b = cls.shape[0]
        ltrb = decode_ltrb(box).flatten(2)  # (B, 4, N)
        lt, rb = ltrb[:, :2], ltrb[:, 2:]
        xy = self.anchors + (rb - lt) / 2
        wh = lt + rb
        return torch.cat([xy, wh, torch.sigmoid(cls.flatten(2))], 1).reshape(b, 5, -1)


def fold_bn(core: nn.Module) -> nn.Module:
    """Fold every BatchNorm into its convolution (in place) so the quantized graph has none."""
    for m in core.modules():
        if isinstance(m, ConvBnAct) and isinstance(m.bn, nn.BatchNorm2d):
            conv, bn = m.conv, m.bn
            std = torch.sqrt(bn.running_var + bn.eps)
            wscale = bn.weight / std
            fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, bias=True)
            fused.weight.data = conv.weight.data * wscale.reshape(-1, 1, 1, 1)
            fused.bias.data = bn.bias.data - bn.running_mean * wscale
            m.conv = fused
            m.bn = nn.Identity()
    return core


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def count_macs(core: nn.Module, imgsz: tuple[int, int]) -> int:
    """Multiply-accumulates of the convolutions for one image."""
    macs = 0

    def hook(mod: nn.Conv2d, _inp, out):
        nonlocal macs
        k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
        macs += out.numel() * k

    hs = [m.register_forward_hook(hook) for m in core.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        core.eval()(torch.zeros(1, 3, *imgsz))
    for h in hs:
        h.remove()
    return macs
