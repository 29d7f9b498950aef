"""Centre-sampling assignment, IoU-aware classification targets and GIoU box loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .model import STRIDE, anchor_points, decode_ltrb


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


def assign(anchors: torch.Tensor, gt: torch.Tensor, centre: float = 0.5) -> torch.Tensor:
    """For each anchor, the index of its ground-truth box or -1.

    An anchor is positive for a box when it lies in the box's central region (`centre` of its
    width and height, at least one stride wide) and inside the box; the cell holding the box
    centre is always positive. Ties go to the smallest box, so neighbours in a tightly packed
    row do not steal each other's cells.
    """
    n = anchors.shape[0]
    if gt.numel() == 0:
        return torch.full((n,), -1, dtype=torch.long)
    cx, cy = (gt[:, 0] + gt[:, 2]) / 2, (gt[:, 1] + gt[:, 3]) / 2
    w, h = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    rx = torch.clamp(w * centre / 2, min=STRIDE / 2)
    ry = torch.clamp(h * centre / 2, min=STRIDE / 2)
    ax, ay = anchors[:, 0:1], anchors[:, 1:2]  # (N, 1)
    inside = (ax > gt[:, 0]) & (ax < gt[:, 2]) & (ay > gt[:, 1]) & (ay < gt[:, 3])
    central = ((ax - cx).abs() <= rx) & ((ay - cy).abs() <= ry)
    ok = inside & central
    # the cell that holds each centre
    gi = (cx / STRIDE).long()
    gj = (cy / STRIDE).long()
    side = int(round(anchors[:, 0].max().item() / STRIDE + 0.5))
    idx = (gj.clamp(0, side - 1) * side + gi.clamp(0, side - 1)).clamp(0, n - 1)
    ok[idx, torch.arange(gt.shape[0])] = True
    area = (w * h).unsqueeze(0).expand(n, -1)
    cost = torch.where(ok, area, torch.full_like(area, float("inf")))
    best, arg = cost.min(1)
    return torch.where(torch.isfinite(best), arg, torch.full_like(arg, -1))


def detection_loss(cls_raw: torch.Tensor, box_raw: torch.Tensor, targets: list[torch.Tensor],
                   box_weight: float = 2.5) -> tuple[torch.Tensor, dict[str, float]]:
    bsz, _, h, w = cls_raw.shape
    assert h == w, "square training crops"
    anchors = anchor_points(h, w)
    cls = cls_raw.flatten(2).squeeze(1)  # (B, N)
    ltrb = decode_ltrb(box_raw).flatten(2).transpose(1, 2)  # (B, N, 4)
    pred = torch.cat([anchors - ltrb[..., :2], anchors + ltrb[..., 2:]], -1)
    cls_t = torch.zeros_like(cls)
    box_losses, npos = [], 0
    ious = []
    for i, gt in enumerate(targets):
        a = assign(anchors, gt)
        pos = a >= 0
        if pos.any():
            pb, tb = pred[i][pos], gt[a[pos]]
            iou, giou = box_iou_giou(pb, tb)
            box_losses.append((1 - giou).sum())
            # IoU-aware score target: NMS then keeps the best-placed box, not just any positive
            cls_t[i][pos] = iou.detach().clamp(min=0.15)
            ious.append(iou.detach())
            npos += int(pos.sum())
    npos_f = max(npos, 1)
    l_cls = F.binary_cross_entropy_with_logits(cls, cls_t, reduction="sum") / npos_f
    l_box = torch.stack(box_losses).sum() / npos_f if box_losses else cls.sum() * 0
    loss = l_cls + box_weight * l_box
    miou = torch.cat(ious).mean().item() if ious else 0.0
    return loss, {"cls": l_cls.item(), "box": l_box.item(), "iou": miou, "npos": npos / bsz}
