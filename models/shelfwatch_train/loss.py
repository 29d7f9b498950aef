"""Multi-level assignment and the GFL losses: quality focal loss (IoU-aware class score),
GIoU and distribution focal loss on the 11-bin integral box regression."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .nanodet import REG_MAX, STRIDES, anchor_grid, flatten_levels, integral

# A box goes to the level whose range holds its longer side (input pixels): small products on
# stride 8 (the bins reach 10 x 8 = 80 px from the centre), larger ones on 16 and 32.
LEVEL_RANGES = {8: (0.0, 64.0), 16: (64.0, 128.0), 32: (128.0, float("inf"))}


def box_iou_giou(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Element-wise IoU and GIoU of xyxy boxes a, b: (N, 4)."""
    lt = torch.max(a[:, :2], b[:, :2])
    rb = torch.min(a[:, 2:], b[:, 2:])
    inter = (rb - lt).clamp(min=0).prod(1)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(1)
    union = area_a + area_b - inter + 1e-7
    iou = inter / union
    hull = (torch.max(a[:, 2:], b[:, 2:]) - torch.min(a[:, :2], b[:, :2])).clamp(min=0).prod(1) + 1e-7
    return iou, iou - (hull - union) / hull


def assign(anchors: torch.Tensor, strides: torch.Tensor, sizes: list[tuple[int, int]], gt: torch.Tensor,
           centre: float = 0.5) -> torch.Tensor:
    """For each anchor (all levels), the index of its ground-truth box or -1.

    A box is handled by one level (LEVEL_RANGES by its longer side). On that level an anchor is
    positive when it lies inside the box and in its central region (`centre` of width and height,
    at least half a stride either way); the cell holding the centre always is. Ties go to the
    smallest box, so neighbours in a tightly packed row do not steal each other's cells.
    """
    n = anchors.shape[0]
    if gt.numel() == 0:
        return torch.full((n,), -1, dtype=torch.long, device=anchors.device)
    cx, cy = (gt[:, 0] + gt[:, 2]) / 2, (gt[:, 1] + gt[:, 3]) / 2
    w, h = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    side = torch.max(w, h)
    level = torch.zeros_like(side)
    for s, (lo, hi) in LEVEL_RANGES.items():
        level = torch.where((side >= lo) & (side < hi), torch.full_like(side, s), level)
    s_a = strides[:, None]  # (N, 1)
    on_level = s_a == level[None, :]
    rx = torch.max(w * centre / 2, s_a / 2)
    ry = torch.max(h * centre / 2, s_a / 2)
    ax, ay = anchors[:, 0:1], anchors[:, 1:2]
    inside = (ax > gt[:, 0]) & (ax < gt[:, 2]) & (ay > gt[:, 1]) & (ay < gt[:, 3])
    central = ((ax - cx).abs() <= rx) & ((ay - cy).abs() <= ry)
    ok = inside & central & on_level
    # the cell that holds each centre, on the box's level
    offs, start = {}, 0
    for (hh, ww), s in zip(sizes, STRIDES):
        offs[s] = (start, hh, ww)
        start += hh * ww
    for s, (o, hh, ww) in offs.items():
        sel = (level == s).nonzero().flatten()
        if sel.numel() == 0:
            continue
        gi = (cx[sel] / s).long().clamp(0, ww - 1)
        gj = (cy[sel] / s).long().clamp(0, hh - 1)
        ok[o + gj * ww + gi, sel] = True
    area = (w * h).unsqueeze(0).expand(n, -1)
    cost = torch.where(ok, area, torch.full_like(area, float("inf")))
    best, arg = cost.min(1)
    return torch.where(torch.isfinite(best), arg, torch.full_like(arg, -1))


def quality_focal(logits: torch.Tensor, target: torch.Tensor, beta: float = 2.0) -> torch.Tensor:
    """QFL (Li et al., GFL): BCE towards a soft IoU target, scaled by |sigmoid - target|^beta."""
    p = logits.sigmoid()
    return (F.binary_cross_entropy_with_logits(logits, target, reduction="none") * (p - target).abs().pow(beta)).sum()


def distribution_focal(reg: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """DFL: reg (M, 4, 11) bin logits, target (M, 4) distances in strides -> summed over M x 4."""
    t = target.clamp(0, REG_MAX - 0.01)
    left = t.floor().long()
    wl = left.float() + 1 - t
    logp = F.log_softmax(reg, -1)
    nl = -logp.gather(-1, left.unsqueeze(-1)).squeeze(-1)
    nr = -logp.gather(-1, (left + 1).unsqueeze(-1)).squeeze(-1)
    return (nl * wl + nr * (1 - wl)).sum()


def detection_loss(outs: list[tuple[torch.Tensor, torch.Tensor]], targets: list[torch.Tensor],
                   box_weight: float = 2.0, dfl_weight: float = 0.25) -> tuple[torch.Tensor, dict[str, float]]:
    cls, reg, sizes = flatten_levels(outs)  # (B, N, 1), (B, N, 4, 11)
    anchors, strides = anchor_grid(sizes, device=cls.device)
    cls = cls.squeeze(-1)
    dist = integral(reg) * strides[None, :, None]  # (B, N, 4) px
    pred = torch.cat([anchors - dist[..., :2], anchors + dist[..., 2:]], -1)
    cls_t = torch.zeros_like(cls)
    l_box, l_dfl, npos, ious = cls.sum() * 0, cls.sum() * 0, 0, []
    for i, gt in enumerate(targets):
        gt = gt.to(cls.device)
        a = assign(anchors, strides, sizes, gt)
        pos = a >= 0
        if not pos.any():
            continue
        pb, tb = pred[i][pos], gt[a[pos]]
        iou, giou = box_iou_giou(pb, tb)
        l_box = l_box + (1 - giou).sum()
        ap, sp = anchors[pos], strides[pos][:, None]
        ltrb = torch.cat([ap - tb[:, :2], tb[:, 2:] - ap], 1) / sp
        l_dfl = l_dfl + distribution_focal(reg[i][pos], ltrb) / 4
        cls_t[i][pos] = iou.detach().clamp(min=0.0)
        ious.append(iou.detach())
        npos += int(pos.sum())
    npos_f = max(npos, 1)
    l_cls = quality_focal(cls, cls_t) / npos_f
    l_box = l_box / npos_f
    l_dfl = l_dfl / npos_f
    loss = l_cls + box_weight * l_box + dfl_weight * l_dfl
    miou = torch.cat(ious).mean().item() if ious else 0.0
    return loss, {"cls": l_cls.item(), "box": l_box.item(), "dfl": l_dfl.item(), "iou": miou,
                  "npos": npos / max(1, len(targets))}
