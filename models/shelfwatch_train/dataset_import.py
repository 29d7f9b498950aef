"""Import labelled data sets (Roboflow-style exports) into one internal form.

Formats: YOLO txt (`data.yaml` + `images/` + `labels/`, per split or flat), COCO JSON and
Pascal VOC XML. Every problem is reported as an `Issue` with the file and, where there is one,
the line (YOLO) or object index (VOC, COCO annotation id).

Policy (`policy=`):
- ``"skip"`` (default): a bad box or line is dropped, an image that is missing or unreadable is
  dropped, a box sticking out of the image by at most `clip_tolerance` (relative) is clipped;
  each of these is reported. The import is refused (`DatasetError`) when the data set as a
  whole is broken (no `data.yaml`/names, unparseable COCO JSON, no usable image) or when more
  than `max_bad_fraction` of the objects were bad, because then the labels cannot be trusted.
- ``"strict"``: any issue other than a clip refuses the import.
Nothing is accepted silently: the caller gets `Dataset.issues` and `Dataset.summary()`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


class DatasetError(ValueError):
    """The import was refused; `issues` says why."""

    def __init__(self, message: str, issues: list["Issue"] | None = None):
        super().__init__(message)
        self.issues = issues or []


@dataclass
class Issue:
    file: str
    line: int | None  # 1-based line (YOLO), object index (VOC) or annotation id (COCO); None for the whole file
    code: str  # e.g. GARBLED_LINE, BAD_CLASS, OUT_OF_RANGE, EMPTY_BOX, MISSING_IMAGE, EMPTY_LINE, CLIPPED
    message: str
    action: str  # "skipped-object", "skipped-image", "clipped", "refused"

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{loc}: {self.code}: {self.message} ({self.action})"


@dataclass
class Item:
    image: str
    width: int
    height: int
    boxes: np.ndarray  # (N, 4) float32 xyxy in pixels
    classes: np.ndarray  # (N,) int64 index into Dataset.names


@dataclass
class Dataset:
    names: list[str]
    items: list[Item] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    objects_seen: int = 0

    def summary(self) -> str:
        n = sum(len(i.boxes) for i in self.items)
        by: dict[str, int] = {}
        for i in self.issues:
            by[i.code] = by.get(i.code, 0) + 1
        return f"{len(self.items)} images, {n} objects, {len(self.issues)} issues {by}"


def _image_size(path: str) -> tuple[int, int] | None:
    try:
        from PIL import Image

        with Image.open(path) as im:
            from PIL import ImageOps

            w, h = im.size
            if im.getexif().get(274) in (5, 6, 7, 8):  # EXIF-rotated by 90/270 degrees: labels refer to upright
                w, h = h, w
            return w, h
    except Exception:  # noqa: BLE001 - any decode failure means an unusable image
        return None


class _Importer:
    def __init__(self, policy: str, clip_tolerance: float, max_bad_fraction: float):
        if policy not in ("skip", "strict"):
            raise ValueError(f"policy must be 'skip' or 'strict', got {policy!r}")
        self.policy, self.tol, self.max_bad = policy, clip_tolerance, max_bad_fraction
        self.issues: list[Issue] = []
        self.bad_objects = 0
        self.objects = 0

    def report(self, file: str, line: int | None, code: str, message: str, action: str) -> None:
        issue = Issue(file, line, code, message, action)
        self.issues.append(issue)
        if action == "skipped-object":
            self.bad_objects += 1
        if self.policy == "strict" and action != "clipped":
            raise DatasetError(f"refused (strict): {issue}", self.issues)

    def check_box(self, file: str, line: int | None, x1: float, y1: float, x2: float, y2: float,
                  w: int, h: int) -> tuple[float, float, float, float] | None:
        """Validate and clip one pixel box; None when it must be skipped."""
        self.objects += 1
        vals = (x1, y1, x2, y2)
        if not all(math.isfinite(v) for v in vals):
            self.report(file, line, "GARBLED_LINE", f"non-finite coordinate in {vals}", "skipped-object")
            return None
        if x2 <= x1 or y2 <= y1:
            self.report(file, line, "EMPTY_BOX", f"box has no area: {vals}", "skipped-object")
            return None
        tx, ty = self.tol * w, self.tol * h
        if x1 < -tx or y1 < -ty or x2 > w + tx or y2 > h + ty:
            self.report(file, line, "OUT_OF_RANGE", f"box {tuple(round(v, 2) for v in vals)} outside image {w}x{h}", "skipped-object")
            return None
        c = (max(0.0, x1), max(0.0, y1), min(float(w), x2), min(float(h), y2))
        if c != vals:
            self.report(file, line, "CLIPPED", f"box {tuple(round(v, 2) for v in vals)} clipped to image {w}x{h}", "clipped")
        if c[2] - c[0] < 1 or c[3] - c[1] < 1:
            self.report(file, line, "EMPTY_BOX", "box is under 1 px after clipping", "skipped-object")
            return None
        return c

    def finish(self, names: list[str], items: list[Item]) -> Dataset:
        if not items:
            raise DatasetError("refused: no usable image", self.issues)
        if self.objects and self.bad_objects / self.objects > self.max_bad:
            raise DatasetError(f"refused: {self.bad_objects} of {self.objects} objects are malformed "
                               f"(> {self.max_bad:.0%}); fix the export", self.issues)
        return Dataset(names, items, self.issues, self.objects)


def _find_image(base_without_ext: str) -> str | None:
    for ext in IMAGE_EXTS + tuple(e.upper() for e in IMAGE_EXTS):
        p = base_without_ext + ext
        if os.path.exists(p):
            return p
    return None


def _yolo_names(data_yaml: str) -> list[str]:
    import yaml

    try:
        with open(data_yaml, encoding="utf-8") as f:
            y = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise DatasetError(f"refused: cannot read {data_yaml}: {e}") from e
    if not isinstance(y, dict) or "names" not in y:
        raise DatasetError(f"refused: {data_yaml} has no 'names'")
    names = y["names"]
    if isinstance(names, dict):
        try:
            keys = sorted(int(k) for k in names)
        except (TypeError, ValueError) as e:
            raise DatasetError(f"refused: {data_yaml} names keys must be integers") from e
        if keys != list(range(len(keys))):
            raise DatasetError(f"refused: {data_yaml} names keys must be 0..n-1, got {keys}")
        names = [str(names[k] if k in names else names[str(k)]) for k in keys]
    if not isinstance(names, list) or not names:
        raise DatasetError(f"refused: {data_yaml} names must be a non-empty list or dict")
    nc = y.get("nc")
    if nc is not None and nc != len(names):
        raise DatasetError(f"refused: {data_yaml} says nc={nc} but lists {len(names)} names")
    return [str(n) for n in names]


def import_yolo(root: str, policy: str = "skip", clip_tolerance: float = 0.01, max_bad_fraction: float = 0.2) -> Dataset:
    """YOLO txt export: `root/data.yaml`, label dirs named `labels` beside `images` (any depth)."""
    data_yaml = next((os.path.join(root, n) for n in ("data.yaml", "data.yml") if os.path.exists(os.path.join(root, n))), None)
    if data_yaml is None:
        raise DatasetError(f"refused: no data.yaml in {root}")
    names = _yolo_names(data_yaml)
    imp = _Importer(policy, clip_tolerance, max_bad_fraction)
    items: list[Item] = []
    label_files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
                         if f.endswith(".txt") and os.path.basename(d) == "labels")
    for lf in label_files:
        rel = os.path.relpath(lf, root)
        img_base = os.path.join(os.path.dirname(os.path.dirname(lf)), "images", os.path.basename(lf)[:-4])
        img = _find_image(img_base)
        if img is None:
            imp.report(rel, None, "MISSING_IMAGE", f"no image for this label file (looked for {os.path.relpath(img_base, root)}.*)", "skipped-image")
            continue
        size = _image_size(img)
        if size is None:
            imp.report(os.path.relpath(img, root), None, "BAD_IMAGE", "image cannot be decoded", "skipped-image")
            continue
        w, h = size
        boxes, classes = [], []
        try:
            with open(lf, encoding="utf-8") as f:
                lines = f.read().split("\n")
        except UnicodeDecodeError:
            imp.report(rel, None, "GARBLED_FILE", "label file is not UTF-8 text", "skipped-image")
            continue
        if lines and lines[-1] == "":
            lines.pop()  # final newline
        for n, line in enumerate(lines, 1):
            s = line.strip()
            if not s:
                imp.objects += 1
                imp.report(rel, n, "EMPTY_LINE", "empty label line", "skipped-object")
                continue
            parts = s.split()
            if len(parts) != 5:
                imp.objects += 1
                kind = "polygon/segment" if len(parts) > 5 and len(parts) % 2 == 1 else "garbled"
                imp.report(rel, n, "GARBLED_LINE", f"expected 'class cx cy w h', got {len(parts)} fields ({kind}): {s[:60]!r}", "skipped-object")
                continue
            try:
                cls_f = float(parts[0])
                cx, cy, bw, bh = (float(p) for p in parts[1:])
            except ValueError:
                imp.objects += 1
                imp.report(rel, n, "GARBLED_LINE", f"non-numeric field: {s[:60]!r}", "skipped-object")
                continue
            if not cls_f.is_integer() or not 0 <= cls_f < len(names):
                imp.objects += 1
                imp.report(rel, n, "BAD_CLASS", f"class id {parts[0]} not in 0..{len(names) - 1}", "skipped-object")
                continue
            if not all(math.isfinite(v) for v in (cx, cy, bw, bh)) or not (-0.01 <= cx <= 1.01 and -0.01 <= cy <= 1.01 and 0 < bw <= 1.02 and 0 < bh <= 1.02):
                imp.objects += 1
                imp.report(rel, n, "OUT_OF_RANGE", f"normalised box {cx, cy, bw, bh} not in 0..1", "skipped-object")
                continue
            b = imp.check_box(rel, n, (cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h, w, h)
            if b is not None:
                boxes.append(b)
                classes.append(int(cls_f))
        items.append(Item(img, w, h, np.array(boxes, np.float32).reshape(-1, 4), np.array(classes, np.int64)))
    return imp.finish(names, items)


def import_coco(json_path: str, images_dir: str | None = None, policy: str = "skip", clip_tolerance: float = 0.01,
                max_bad_fraction: float = 0.2) -> Dataset:
    """COCO detection JSON (`images`, `annotations`, `categories`; bbox = [x, y, w, h] pixels)."""
    images_dir = images_dir or os.path.dirname(json_path)
    rel = os.path.basename(json_path)
    try:
        with open(json_path, encoding="utf-8") as f:
            j = json.load(f)
    except (OSError, ValueError) as e:
        raise DatasetError(f"refused: cannot parse {rel}: {e}") from e
    if not isinstance(j, dict) or not all(isinstance(j.get(k), list) for k in ("images", "annotations", "categories")):
        raise DatasetError(f"refused: {rel} needs 'images', 'annotations' and 'categories' lists")
    imp = _Importer(policy, clip_tolerance, max_bad_fraction)
    cats = sorted((c for c in j["categories"] if isinstance(c, dict) and "id" in c), key=lambda c: c["id"])
    if not cats:
        raise DatasetError(f"refused: {rel} has no categories")
    cat_index = {c["id"]: i for i, c in enumerate(cats)}
    names = [str(c.get("name", c["id"])) for c in cats]
    by_image: dict = {}
    for a in j["annotations"]:
        by_image.setdefault(a.get("image_id") if isinstance(a, dict) else None, []).append(a)
    items = []
    for im in j["images"]:
        if not isinstance(im, dict) or "id" not in im or "file_name" not in im:
            imp.report(rel, None, "GARBLED_IMAGE_ENTRY", f"image entry without id/file_name: {str(im)[:60]}", "skipped-image")
            continue
        path = os.path.join(images_dir, im["file_name"])
        if not os.path.exists(path):
            imp.report(rel, None, "MISSING_IMAGE", f"image {im['file_name']} (id {im['id']}) not found", "skipped-image")
            continue
        size = _image_size(path)
        if size is None:
            imp.report(im["file_name"], None, "BAD_IMAGE", "image cannot be decoded", "skipped-image")
            continue
        w, h = size
        if im.get("width") not in (None, w) or im.get("height") not in (None, h):
            imp.report(rel, None, "SIZE_MISMATCH", f"{im['file_name']} is {w}x{h}, JSON says {im.get('width')}x{im.get('height')}", "skipped-image")
            continue
        boxes, classes = [], []
        for a in by_image.get(im["id"], []):
            aid = a.get("id")
            bb = a.get("bbox")
            if not (isinstance(bb, list) and len(bb) == 4 and all(isinstance(v, (int, float)) for v in bb)):
                imp.objects += 1
                imp.report(rel, aid, "GARBLED_LINE", f"annotation {aid}: bbox must be 4 numbers, got {bb!r}", "skipped-object")
                continue
            if a.get("category_id") not in cat_index:
                imp.objects += 1
                imp.report(rel, aid, "BAD_CLASS", f"annotation {aid}: category_id {a.get('category_id')!r} unknown", "skipped-object")
                continue
            x, y, bw, bh = (float(v) for v in bb)
            b = imp.check_box(rel, aid, x, y, x + bw, y + bh, w, h)
            if b is not None:
                boxes.append(b)
                classes.append(cat_index[a["category_id"]])
        items.append(Item(path, w, h, np.array(boxes, np.float32).reshape(-1, 4), np.array(classes, np.int64)))
    orphans = [k for k in by_image if k not in {im.get("id") for im in j["images"] if isinstance(im, dict)}]
    for k in orphans:
        for a in by_image[k]:
            imp.objects += 1
            imp.report(rel, a.get("id") if isinstance(a, dict) else None, "ORPHAN_ANNOTATION", f"image_id {k!r} has no image entry", "skipped-object")
    return imp.finish(names, items)


def import_voc(root: str, policy: str = "skip", clip_tolerance: float = 0.01, max_bad_fraction: float = 0.2,
               names: list[str] | None = None) -> Dataset:
    """Pascal VOC XML files (any depth under root); images beside them or named by <filename>/<path>.
    `names` fixes the class list (unknown names are then BAD_CLASS); otherwise it is collected."""
    imp = _Importer(policy, clip_tolerance, max_bad_fraction)
    xmls = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".xml"))
    fixed = names is not None
    names = list(names or [])
    items = []
    for xf in xmls:
        rel = os.path.relpath(xf, root)
        try:
            tree = ET.parse(xf)
        except ET.ParseError as e:
            imp.report(rel, getattr(e, "position", (None,))[0], "GARBLED_FILE", f"XML does not parse: {e}", "skipped-image")
            continue
        fname = tree.findtext("filename") or ""
        cands = [os.path.join(os.path.dirname(xf), fname), os.path.join(root, fname),
                 os.path.join(os.path.dirname(os.path.dirname(xf)), "images", os.path.basename(os.path.dirname(xf)), fname)]
        img = next((c for c in cands if fname and os.path.isfile(c)), None) or _find_image(xf[:-4])
        if img is None:
            imp.report(rel, None, "MISSING_IMAGE", f"image {fname or '(no <filename>)'} not found", "skipped-image")
            continue
        size = _image_size(img)
        if size is None:
            imp.report(rel, None, "BAD_IMAGE", "image cannot be decoded", "skipped-image")
            continue
        w, h = size
        boxes, classes = [], []
        for k, obj in enumerate(tree.findall("object"), 1):
            name = (obj.findtext("name") or "").strip()
            bb = obj.find("bndbox")
            try:
                vals = [float(bb.findtext(t)) for t in ("xmin", "ymin", "xmax", "ymax")] if bb is not None else None
            except (TypeError, ValueError):
                vals = None
            if not name or vals is None:
                imp.objects += 1
                imp.report(rel, k, "GARBLED_LINE", f"object {k}: missing name or bndbox values", "skipped-object")
                continue
            if name not in names:
                if fixed:
                    imp.objects += 1
                    imp.report(rel, k, "BAD_CLASS", f"object {k}: class {name!r} not in {names}", "skipped-object")
                    continue
                names.append(name)
            # VOC pixel indices are 1-based and inclusive: xmin=1 is the first column
            b = imp.check_box(rel, k, vals[0] - 1, vals[1] - 1, vals[2], vals[3], w, h)
            if b is not None:
                boxes.append(b)
                classes.append(names.index(name))
        items.append(Item(img, w, h, np.array(boxes, np.float32).reshape(-1, 4), np.array(classes, np.int64)))
    if not names:
        names = ["product"]
    return imp.finish(names, items)


def load(fmt: str, src: str, **kw) -> Dataset:
    if fmt == "yolo":
        return import_yolo(src, **kw)
    if fmt == "coco":
        return import_coco(src, **kw)
    if fmt == "voc":
        return import_voc(src, **kw)
    raise ValueError(f"unknown format {fmt!r}: use yolo, coco or voc")


def write_cache(ds: Dataset, out: str, size: int = 640) -> str:
    """Letterbox every image into `size` x `size` (pad 114) and write the training-cache layout
    (`NNNNN.jpg` + `labels.npz` + `labels.json`), all classes mapped to the single class 'product'."""
    from PIL import Image, ImageOps

    os.makedirs(out, exist_ok=True)
    labels, js = {}, []
    for i, it in enumerate(ds.items):
        with Image.open(it.image) as im:
            im = ImageOps.exif_transpose(im).convert("RGB")
            s = min(size / im.width, size / im.height)
            nw, nh = max(1, round(im.width * s)), max(1, round(im.height * s))
            px, py = (size - nw) // 2, (size - nh) // 2
            canvas = Image.new("RGB", (size, size), (114, 114, 114))
            canvas.paste(im.resize((nw, nh), Image.BILINEAR), (px, py))
        b = it.boxes * np.array([nw / it.width, nh / it.height] * 2, np.float32) + np.array([px, py, px, py], np.float32)
        key = f"{i:05d}"
        canvas.save(os.path.join(out, key + ".jpg"), quality=92)
        labels[key] = b
        js.append({"file": key + ".jpg", "boxes": np.round(b, 2).tolist(), "source": it.image})
    np.savez_compressed(os.path.join(out, "labels.npz"), **labels)
    with open(os.path.join(out, "labels.json"), "w") as f:
        json.dump({"imgsz": size, "images": js}, f)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="Import a YOLO/COCO/VOC export into the training cache layout.")
    ap.add_argument("--format", choices=["yolo", "coco", "voc"], required=True)
    ap.add_argument("--src", required=True, help="YOLO/VOC: export root; COCO: the annotations JSON")
    ap.add_argument("--out", required=True)
    ap.add_argument("--policy", choices=["skip", "strict"], default="skip")
    ap.add_argument("--size", type=int, default=640)
    a = ap.parse_args()
    try:
        ds = load(a.format, a.src, policy=a.policy)
    except DatasetError as e:
        for i in e.issues:
            print(i)
        raise SystemExit(str(e)) from None
    for i in ds.issues:
        print(i)
    print(ds.summary())
    write_cache(ds, a.out, a.size)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
