"""Seeded synthesis of dense shelf photos with exact product boxes.

Each image is a shelf unit: wall, shelf boards with price strips, rows of tightly packed
products (real Freiburg Groceries crops pasted as-is, mixed with procedural packages), empty
out-of-stock gaps, products cut by the image border, then a mild perspective warp, lighting,
blur, noise and JPEG artefacts. Images are letterboxed into a square canvas (pad 114) like the
inference path does, so the model sees pad borders too. Only numpy and Pillow are needed.
"""

from __future__ import annotations

import io
import math
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

PAD_VALUE = 114
# Freiburg classes kept out of training entirely; the held-out test set uses only these
# (plus procedural packages drawn from another seed), so AP measures unseen packaging.
HELDOUT_CLASSES = ("coffee", "jam", "tea", "water")


@dataclass
class Crop:
    image: Image.Image  # RGB product crop
    cls: str


def load_freiburg_crops(root: str, classes: set[str] | None = None, exclude: set[str] | None = None,
                        max_side: int = 160, min_side: int = 24) -> list[Crop]:
    """Cut product crops out of Freiburg Groceries using its Pascal VOC boxes."""
    crops: list[Crop] = []
    ann_root = os.path.join(root, "annotations")
    img_root = os.path.join(root, "images")
    for cls in sorted(os.listdir(ann_root)):
        if classes is not None and cls not in classes:
            continue
        if exclude is not None and cls in exclude:
            continue
        for name in sorted(os.listdir(os.path.join(ann_root, cls))):
            if not name.endswith(".xml"):
                continue
            try:
                tree = ET.parse(os.path.join(ann_root, cls, name))
            except ET.ParseError:
                continue
            fname = tree.findtext("filename") or name[:-4] + ".jpg"
            path = os.path.join(img_root, cls, fname)
            if not os.path.exists(path):
                continue
            boxes = []
            for obj in tree.findall("object"):
                bb = obj.find("bndbox")
                if bb is None:
                    continue
                try:
                    x1, y1, x2, y2 = (int(float(bb.findtext(k) or "nan")) for k in ("xmin", "ymin", "xmax", "ymax"))
                except ValueError:
                    continue
                if x2 - x1 >= min_side and y2 - y1 >= min_side:
                    boxes.append((x1, y1, x2, y2))
            if not boxes:
                continue
            with Image.open(path) as im:
                im = im.convert("RGB")
                for (x1, y1, x2, y2) in boxes:
                    c = im.crop((max(0, x1), max(0, y1), min(im.width, x2), min(im.height, y2)))
                    s = max_side / max(c.size)
                    if s < 1:
                        c = c.resize((max(1, round(c.width * s)), max(1, round(c.height * s))), Image.BILINEAR)
                    crops.append(Crop(c, cls))
    return crops


def _rand_color(rng: np.random.Generator, lo: int = 0, hi: int = 256) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(lo, hi, 3))  # type: ignore[return-value]


def procedural_package(rng: np.random.Generator, w: int, h: int) -> Image.Image:
    """A box, can or bottle with a label, stripes and text-like marks."""
    w, h = max(4, w), max(4, h)
    base = _rand_color(rng)
    im = Image.new("RGB", (w, h), base)
    d = ImageDraw.Draw(im)
    kind = rng.integers(0, 3)
    if rng.random() < 0.5:  # horizontal bands
        for _ in range(int(rng.integers(1, 4))):
            y = int(rng.integers(0, h))
            d.rectangle([0, y, w, y + int(rng.integers(1, max(2, h // 4)))], fill=_rand_color(rng))
    # label panel
    lx1, ly1 = int(w * rng.uniform(0.05, 0.3)), int(h * rng.uniform(0.15, 0.5))
    lx2, ly2 = int(w * rng.uniform(0.7, 0.95)), int(h * rng.uniform(0.55, 0.9))
    d.rectangle([lx1, ly1, lx2, ly2], fill=_rand_color(rng))
    tc = _rand_color(rng)
    for _ in range(int(rng.integers(1, 5))):  # text-ish lines
        ty = int(rng.integers(ly1, max(ly1 + 1, ly2)))
        tx = int(rng.integers(lx1, max(lx1 + 1, (lx1 + lx2) // 2)))
        d.line([tx, ty, tx + int(rng.integers(2, max(3, lx2 - lx1))), ty], fill=tc, width=max(1, h // 40))
    if rng.random() < 0.3:
        r = int(min(w, h) * rng.uniform(0.1, 0.3))
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=_rand_color(rng))
    a = np.asarray(im).astype(np.float32)
    if kind >= 1:  # cylinder shading for cans and bottles
        x = np.linspace(-1, 1, w)[None, :, None]
        a *= (0.55 + 0.45 * np.sqrt(np.clip(1 - x**2, 0, 1)))
        a += 60 * np.exp(-((x - rng.uniform(-0.5, 0.5)) ** 2) / 0.01)  # specular stripe
    if kind == 2:  # bottle: narrow neck/cap at the top
        neck = int(h * rng.uniform(0.15, 0.35))
        nw = int(w * rng.uniform(0.25, 0.5))
        a[:neck, : (w - nw) // 2] = np.nan
        a[:neck, (w + nw) // 2:] = np.nan
        a[: max(1, neck // 3), (w - nw) // 2:(w + nw) // 2] = np.array(_rand_color(rng), np.float32)
    else:  # top/bottom edge shading
        a[: max(1, h // 30)] *= 0.7
    return Image.fromarray(np.nan_to_num(np.clip(a, 0, 255), nan=-1).astype(np.int16).clip(-1, 255).astype(np.uint8)) if kind != 2 else _with_alpha(a)


def _with_alpha(a: np.ndarray) -> Image.Image:
    mask = ~np.isnan(a[..., 0])
    rgb = np.nan_to_num(np.clip(a, 0, 255), nan=0).astype(np.uint8)
    rgba = np.dstack([rgb, (mask * 255).astype(np.uint8)])
    return Image.fromarray(rgba, "RGBA")


_FONT_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
               "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
               "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf")
_fonts: dict = {}


def _font(size: int, k: int = 0):
    """A bold TrueType font (price digits look like this in stores); None when none is installed."""
    from PIL import ImageFont

    key = (max(6, size), k % len(_FONT_FILES))
    if key not in _fonts:
        try:
            _fonts[key] = ImageFont.truetype(_FONT_FILES[key[1]], key[0])
        except OSError:
            _fonts[key] = None
    return _fonts[key]


def _tag(d: ImageDraw.ImageDraw, rng: np.random.Generator, x: int, y: int, tw: int, th: int) -> None:
    """One price label: coloured card, big bold price, sometimes a small line of text and a barcode."""
    r = rng.random()
    bg = (255, 255, 255) if r < 0.45 else (255, 225, 30) if r < 0.75 else (250, 140, 30) if r < 0.85 else (225, 40, 40)
    d.rectangle([x, y, x + tw, y + th], fill=tuple(int(c * rng.uniform(0.85, 1.0)) for c in bg), outline=(90, 90, 90) if rng.random() < 0.3 else None)
    ink = (20, 20, 20) if rng.random() < 0.75 else (200, 20, 20)
    f = _font(int(th * rng.uniform(0.45, 0.75)), int(rng.integers(0, 3)))
    price = f"{int(rng.integers(0, 20))}.{int(rng.integers(0, 100)):02d}" if rng.random() < 0.85 else f"{int(rng.integers(2, 5))}/{int(rng.integers(1, 10))}.00"
    if f is not None and th >= 7:
        d.text((x + int(tw * rng.uniform(0.05, 0.3)), y + int(th * rng.uniform(0.05, 0.35))), price, fill=ink, font=f)
    else:
        d.line([x + 2, y + th // 2, x + tw - 2, y + th // 2], fill=ink, width=max(1, th // 4))
    if rng.random() < 0.4 and th >= 10:  # barcode
        bx = x + int(tw * 0.65)
        for i in range(int(rng.integers(5, 12))):
            xx = bx + i * max(1, tw // 40)
            if xx < x + tw - 1:
                d.line([xx, y + th // 2, xx, y + th - 2], fill=(30, 30, 30), width=1)


def _price_strip(d: ImageDraw.ImageDraw, rng: np.random.Generator, x0: int, x1: int, y: int, h: int) -> None:
    """The shelf edge: a strip of price labels; some large promotion tags hang over the products above."""
    d.rectangle([x0, y, x1, y + h], fill=_rand_color(rng, 150, 256) if rng.random() < 0.7 else _rand_color(rng))
    x = x0 + int(rng.integers(0, 40))
    while x < x1:
        if rng.random() < 0.2:  # promotion tag taller than the strip, sticking up over the products
            th = int(h * rng.uniform(1.5, 3.0))
            tw = int(th * rng.uniform(1.0, 1.8))
            _tag(d, rng, x, y + h - th, tw, th)
        else:
            tw = int(rng.integers(max(6, h), max(8, 3 * h)))
            _tag(d, rng, x, y + 1, tw, max(3, h - 2))
        x += tw + int(rng.integers(h, h * 8))


SIGN_WORDS = ("Skincare", "SNACKS", "Beverages", "Dairy", "FROZEN", "Household", "Pet Food", "SALE", "2 for 1",
              "Personal Care", "Breakfast", "Coffee & Tea", "Bakery", "Cleaning", "Baby", "NEW", "Health & Beauty",
              "-30%", "Cereal", "Soft Drinks", "Wine", "Pasta & Rice")


def _sign(d: ImageDraw.ImageDraw, rng: np.random.Generator, x: int, y: int, w: int, h: int) -> None:
    """A category header, shelf sign or poster: coloured panel with big words, maybe a picture block."""
    bg = _rand_color(rng) if rng.random() < 0.6 else (255, 255, 255) if rng.random() < 0.5 else (200, 20, 30)
    d.rectangle([x, y, x + w, y + h], fill=bg, outline=_rand_color(rng) if rng.random() < 0.4 else None,
                width=max(1, h // 12))
    ink = (255, 255, 255) if sum(bg) < 380 else (20, 20, 20)
    words = SIGN_WORDS[int(rng.integers(0, len(SIGN_WORDS)))]
    f = _font(int(h * rng.uniform(0.4, 0.7)), int(rng.integers(0, 3)))
    tx = x + int(w * rng.uniform(0.03, 0.25))
    if f is not None:
        d.text((tx, y + int(h * rng.uniform(0.1, 0.3))), words, fill=ink, font=f)
    if rng.random() < 0.35:  # a picture block (posters show products: these are not products on the shelf)
        px = x + int(w * rng.uniform(0.55, 0.75))
        d.rectangle([px, y + h // 8, min(x + w - 2, px + int(h * 0.8)), y + h - h // 8], fill=_rand_color(rng))


def _floor(d: ImageDraw.ImageDraw, rng: np.random.Generator, top: int, RW: int, RH: int) -> None:
    """Kick plate under the lowest shelf, then a tiled floor receding in perspective."""
    kick = int((RH - top) * rng.uniform(0.1, 0.3))
    d.rectangle([0, top, RW, top + kick], fill=_rand_color(rng, 20, 120))
    base = _rand_color(rng, 90, 230)
    d.rectangle([0, top + kick, RW, RH], fill=base)
    line = tuple(int(c * rng.uniform(0.6, 0.85)) for c in base)
    y, step = top + kick, max(4, int((RH - top) * 0.08))
    while y < RH:
        d.line([0, y, RW, y], fill=line, width=1)
        y += step
        step = int(step * 1.35) + 1
    cx = RW * rng.uniform(0.2, 0.8)
    for k in range(-12, 13):
        x_far = cx + k * RW * 0.06
        d.line([x_far, top + kick, cx + k * RW * 0.2, RH], fill=line, width=1)


def _cooler(canvas: Image.Image, rng: np.random.Generator, boxes: list) -> Image.Image:
    """Glass doors over the unit: vertical frames with handles (products behind a frame are hidden),
    a blue-grey tint, fog and glare streaks (products behind the glass stay labelled)."""
    RW, RH = canvas.size
    a = np.asarray(canvas).astype(np.float32)
    tint = np.array([rng.uniform(0.85, 1.0), rng.uniform(0.9, 1.0), 1.0], np.float32)
    fog = rng.uniform(0.0, 0.25)
    a = a * tint * (1 - fog) + 255 * fog * np.array([0.85, 0.9, 1.0], np.float32)
    x = np.arange(RW)[None, :, None]
    y = np.arange(RH)[:, None, None]
    for _ in range(int(rng.integers(1, 4))):  # diagonal glare streaks
        x0, slope, wdt = rng.uniform(0, RW), rng.uniform(-1.5, 1.5), rng.uniform(0.02, 0.12) * RW
        dist = np.abs((x - x0) - slope * (y - RH / 2)) / wdt
        a += rng.uniform(40, 140) * np.exp(-dist**2)
    img = Image.fromarray(a.clip(0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    frame = (40, 40, 45) if rng.random() < 0.5 else _rand_color(rng, 120, 220)
    n_doors = int(rng.integers(1, 4))
    fw = max(3, int(RW * rng.uniform(0.02, 0.05)))
    cols = [int(RW * (k + rng.uniform(0.0, 0.3)) / n_doors) for k in range(n_doors + 1)]
    b = np.array(boxes, np.float32).reshape(-1, 4)
    hidden = np.zeros(len(b), bool)
    for cx in cols:
        d.rectangle([cx - fw // 2, 0, cx + fw // 2, RH], fill=frame)
        hx = cx + fw // 2 + int(fw * rng.uniform(0.5, 1.5))  # handle beside the frame
        hy = int(RH * rng.uniform(0.2, 0.45))
        d.rounded_rectangle([hx, hy, hx + max(2, fw // 2), hy + int(RH * rng.uniform(0.15, 0.35))],
                            radius=max(1, fw // 4), fill=tuple(int(c * 0.8) for c in frame))
        if len(b):
            cover = (np.minimum(b[:, 2], cx + fw // 2) - np.maximum(b[:, 0], cx - fw // 2)).clip(0)
            hidden |= cover > 0.5 * (b[:, 2] - b[:, 0])
    boxes[:] = [tuple(bb) for bb, h in zip(b.tolist(), hidden) if not h]
    return img


def _overlap(b: tuple, r: tuple) -> float:
    """Share of box b covered by rectangle r."""
    iw = max(0.0, min(b[2], r[2]) - max(b[0], r[0]))
    ih = max(0.0, min(b[3], r[3]) - max(b[1], r[1]))
    return iw * ih / max(1e-6, (b[2] - b[0]) * (b[3] - b[1]))


def render_shelf(rng: np.random.Generator, crops: list[Crop], out_size: int = 640,
                 crop_prob: float = 0.65, jpeg: bool = True, extras: bool = False,
                 stacks: float = 0.0, seams: bool = False) -> tuple[Image.Image, np.ndarray]:
    """One letterboxed square shelf image and its product boxes (N, 4) xyxy in pixels.

    `extras` adds what real photos showed the model gets wrong (and draws from the random stream
    only then, so the older splits render as before): category signs and posters, a floor under
    the lowest shelf, cooler glass doors with frames, handles and glare, and a stronger yaw
    (up to +-30 degrees) in the perspective. `stacks` is the share of facings that are stacks of
    2-5 flat packs (cases of cans, boxed tablets), one box per pack: without it no stack fits a
    row (a facing is at least 0.52 of the row's height), and the detector learned to draw one box
    around a whole stack where a person counts each pack. `seams` draws what tells a stack from a
    tall bottle's label band: a shadow between packs and packs not quite aligned.
    """
    # content aspect: landscape, portrait or square photo, letterboxed like inference does
    aspect = rng.choice([4 / 3, 3 / 4, 1.0, 16 / 9, 9 / 16], p=[0.35, 0.3, 0.15, 0.1, 0.1])
    if aspect >= 1:
        W, H = out_size, int(round(out_size / aspect))
    else:
        W, H = int(round(out_size * aspect)), out_size
    # render at 1.25x then downsample: softer edges like a real photo
    ss = 1.25
    RW, RH = int(W * ss), int(H * ss)
    wall = np.array(_rand_color(rng, 60, 240), np.float32)
    canvas = Image.new("RGB", (RW, RH), tuple(int(v) for v in wall))
    d = ImageDraw.Draw(canvas)
    if rng.random() < 0.2:  # pegboard back wall
        step = int(rng.integers(10, 24))
        dot = tuple(int(c * 0.5) for c in wall)
        for yy in range(0, RH, step):
            for xx in range(0, RW, step):
                d.rectangle([xx, yy, xx + 1, yy + 1], fill=dot)
    boxes: list[tuple[float, float, float, float]] = []
    # row height sets product scale: 12..120 px products at the model input
    # log-normal around ~40 px (SKU-110K photos letterboxed to 640 hold ~30-60 px products)
    mean_prod_h = float(np.clip(np.exp(rng.normal(np.log(40), 0.45)), 14, 115)) * ss
    y = -int(rng.uniform(0, mean_prod_h))
    board_col = _rand_color(rng, 40, 230)
    dark_back = rng.random() < 0.5
    bottom = RH
    if extras:
        if rng.random() < 0.5:  # category header band / posters above the unit
            band = int(mean_prod_h * rng.uniform(0.8, 2.5))
            x = int(rng.integers(-20, 40))
            while x < RW:
                w = int(band * rng.uniform(2.0, 6.0))
                if rng.random() < 0.8:
                    _sign(d, rng, x, max(0, y), w, int(band * rng.uniform(0.6, 0.95)))
                x += w + int(rng.integers(0, band))
            y = max(0, y) + band
        if rng.random() < 0.4:  # the floor below the lowest shelf
            bottom = int(RH * rng.uniform(0.55, 0.85))
    while y < bottom:
        row_h = int(mean_prod_h * rng.uniform(1.05, 1.35))
        board_h = max(3, int(mean_prod_h * rng.uniform(0.12, 0.3)))
        if dark_back:  # shadowed shelf interior
            d.rectangle([0, y, RW, y + row_h], fill=tuple(int(c * rng.uniform(0.25, 0.6)) for c in wall))
        floor = y + row_h
        _fill_row(canvas, rng, crops, y, floor, mean_prod_h, RW, boxes, crop_prob, stacks, seams)
        if extras and rng.random() < 0.12:  # a sign hanging from the board above, over this row's products
            sw, sh = int(RW * rng.uniform(0.08, 0.25)), int(row_h * rng.uniform(0.35, 0.7))
            sx, sy = int(rng.integers(0, max(1, RW - sw))), max(0, y)
            _sign(d, rng, sx, sy, sw, sh)
            boxes[:] = [bb for bb in boxes if _overlap(bb, (sx, sy, sx + sw, sy + sh)) <= 0.4]
        d.rectangle([0, floor, RW, floor + board_h], fill=board_col)
        _price_strip(d, rng, 0, RW, floor + max(1, board_h // 5), max(2, int(board_h * 0.7)))
        y = floor + board_h
    if extras and bottom < RH:
        _floor(d, rng, y, RW, RH)
    if extras and rng.random() < 0.3:
        canvas = _cooler(canvas, rng, boxes)
    img = canvas
    b = np.array(boxes, np.float32).reshape(-1, 4)
    # perspective / rotation about the image centre
    if rng.random() < 0.7:
        img, b = _warp(img, b, rng, yaw=30.0 if extras else 0.0)
    img = img.resize((W, H), Image.BILINEAR)
    b /= ss
    b[:, [0, 2]] = b[:, [0, 2]].clip(0, W)
    b[:, [1, 3]] = b[:, [1, 3]].clip(0, H)
    img = _photometric(img, rng)
    out = Image.new("RGB", (out_size, out_size), (PAD_VALUE,) * 3)
    ox, oy = (out_size - W) // 2, (out_size - H) // 2
    out.paste(img, (ox, oy))
    b[:, [0, 2]] += ox
    b[:, [1, 3]] += oy
    keep = ((b[:, 2] - b[:, 0]) >= 3) & ((b[:, 3] - b[:, 1]) >= 3)
    b = b[keep]
    if jpeg:
        q = int(rng.integers(35, 96))
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=q)
        buf.seek(0)
        out = Image.open(buf).convert("RGB")
    return out, b


def _fill_row(canvas: Image.Image, rng: np.random.Generator, crops: list[Crop], top: int, floor: int,
              mean_h: float, RW: int, boxes: list, crop_prob: float, stacks: float = 0.0,
              seams: bool = False) -> None:
    x = -int(rng.uniform(0, mean_h))  # products cut by the left border
    row_h = floor - top
    # a row tends to repeat one product (facings), as real shelves do
    while x < RW:
        group = int(rng.integers(1, 7))
        use_crop = crops and rng.random() < crop_prob
        h = int(min(row_h * 0.97, mean_h * rng.uniform(0.7, 1.05)))
        # a stack of flat packs: `layers` packs, each wider than tall, filling most of the row
        layers = int(rng.integers(2, 6)) if stacks > 0 and rng.random() < stacks else 1
        if layers > 1:
            h = max(3, int(row_h * rng.uniform(0.8, 0.97) / layers))
        if use_crop:
            c = crops[int(rng.integers(0, len(crops)))].image
            ar = c.width / c.height
        else:
            c = None
            ar = float(np.exp(rng.uniform(np.log(0.3), np.log(1.6))))
        if layers > 1 and ar < 1:  # lying flat: the long side horizontal
            if c is not None:
                c = c.transpose(Image.ROTATE_90)
            ar = 1 / ar
        if layers > 1:
            ar *= rng.uniform(1.0, 1.5)
        ar *= rng.uniform(0.85, 1.15)
        w = max(3, int(h * ar))
        if rng.random() < 0.08:  # out-of-stock gap
            x += int(w * rng.uniform(1, 4))
            continue
        if c is not None:
            tile = c.resize((w, h), Image.BILINEAR)
            if rng.random() < 0.5:
                tile = tile.transpose(Image.FLIP_LEFT_RIGHT)
        else:
            tile = procedural_package(rng, w, h)
        if layers == 1 and rng.random() < 0.12 and h * 2 < row_h * 0.97:
            layers = 2
        for _ in range(group):
            if x >= RW:
                break
            gap = int(rng.integers(-max(1, w // 12), max(2, w // 10)))  # touching or slight overlap
            for k in range(layers):
                py = floor - h * (k + 1)
                # packs of a stack lie a little off one another, with a shadow under each upper one
                xo = int(rng.integers(-max(1, w // 25), max(1, w // 25) + 1)) if seams and k > 0 else 0
                if tile.mode == "RGBA":
                    canvas.paste(tile, (x + xo, py), tile)
                else:
                    canvas.paste(tile, (x + xo, py))
                if seams and k > 0:
                    t = max(1, h // 25)
                    band = (x + xo, py + h - t, x + xo + w, py + h + t)
                    canvas.paste(canvas.crop(band).point(lambda v: int(v * 0.4)), band[:2])
                boxes.append((x + xo, py, x + xo + w, py + h))
            x += w + gap
        x += int(rng.integers(0, max(2, w // 6)))


def _warp(img: Image.Image, b: np.ndarray, rng: np.random.Generator, yaw: float = 0.0) -> tuple[Image.Image, np.ndarray]:
    W, H = img.size
    ang = math.radians(rng.uniform(-4, 4))
    persp = rng.uniform(-0.06, 0.06, size=(4, 2)) * np.array([W, H])
    if yaw > 0 and rng.random() < 0.6:  # looking along the aisle: the far side shrinks and narrows
        t = math.sin(math.radians(rng.uniform(-yaw, yaw))) * 0.5
        far = [1, 2] if t > 0 else [0, 3]  # corners of the right or the left edge
        persp[far[0], 1] += abs(t) * H * 0.5
        persp[far[1], 1] -= abs(t) * H * 0.5
        persp[far, 0] += (-1 if t > 0 else 1) * abs(t) * W * 0.35
    src = np.array([[0, 0], [W, 0], [W, H], [0, H]], np.float64)
    c, s = math.cos(ang), math.sin(ang)
    ctr = np.array([W / 2, H / 2])
    dst = (src - ctr) @ np.array([[c, -s], [s, c]]).T * rng.uniform(0.95, 1.1) + ctr + persp
    Hm = _homography(src, dst)
    inv = np.linalg.inv(Hm)
    coeffs = (inv / inv[2, 2]).ravel()[:8]
    wall = tuple(int(v) for v in np.asarray(img)[0, 0])
    out = img.transform((W, H), Image.PERSPECTIVE, tuple(coeffs), Image.BILINEAR, fillcolor=wall)
    if len(b):
        corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], 1).reshape(-1, 2)
        ph = np.c_[corners, np.ones(len(corners))] @ Hm.T
        p = (ph[:, :2] / ph[:, 2:3]).reshape(-1, 4, 2)
        # shrink the corner hull a little: the true outline lies inside the corners' box
        x1, y1 = p[..., 0].min(1), p[..., 1].min(1)
        x2, y2 = p[..., 0].max(1), p[..., 1].max(1)
        b = np.stack([x1, y1, x2, y2], 1).astype(np.float32)
    return out, b


def _homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    A = []
    for (x, y), (u, v) in zip(src, dst):
        A.append([x, y, 1, 0, 0, 0, -u * x, -u * y, -u])
        A.append([0, 0, 0, x, y, 1, -v * x, -v * y, -v])
    _, _, vt = np.linalg.svd(np.array(A))
    return vt[-1].reshape(3, 3) / vt[-1, -1]


def _photometric(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    if rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.4)))
    a = np.asarray(img).astype(np.float32)
    H, W = a.shape[:2]
    gain = rng.uniform(0.6, 1.3) * rng.uniform(0.9, 1.1, 3)  # exposure + colour cast
    gx = np.linspace(-1, 1, W)[None, :, None] * rng.uniform(-0.25, 0.25)
    gy = np.linspace(-1, 1, H)[:, None, None] * rng.uniform(-0.25, 0.25)
    a = a * gain * (1 + gx + gy) + rng.uniform(-20, 20)
    if rng.random() < 0.6:
        a += rng.normal(0, rng.uniform(1, 8), a.shape)
    return Image.fromarray(a.clip(0, 255).astype(np.uint8))
