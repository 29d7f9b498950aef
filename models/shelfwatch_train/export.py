"""Export a trained checkpoint to FP32 ONNX and static INT8 QDQ ONNX (Ultralytics layout).

    /usr/bin/python3 -m shelfwatch_train.export --ckpt runs/main/last.pt --version 0.3.4

`--ckpt` also takes an FP32 file of this exporter (e.g. the shipped `shelfwatch-det-0.3.4.fp32.onnx`):
its initializers are the network's weights under their module names, so a shipped model can be
exported again (another input size) or fine-tuned (`train --init file.fp32.onnx`) without its run.

INT8 route (torch 1.13, qnnpack): `prepare_qat_fx` inserts fake-quant modules (uint8 activations,
int8 per-channel symmetric weights on 7 bits, -64..63: `WEIGHT_RANGE`) into the network (its
BatchNorm was folded upstream), observers calibrate on training renders, then the fake-quant graph
exports as QuantizeLinear/DequantizeLinear pairs. Weight Q->DQ pairs are folded into int8 initializers,
which makes the file ~4x smaller. Sigmoid and the GFL integral box decoding stay in float outside
the quantized core. `--float-head` keeps the three 1x1 output convolutions in float too.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

from . import data
from .nanodet import PACKAGE, STRIDES, Exported, ShelfNanoDet, count_macs, count_params, random_init

OPSET = 13
AUTHOR = "ShelfWatch"
NAME = "shelfwatch-det"


LICENSE = ("weights: fine-tuned from NanoDet-g COCO weights (RangiLyu/nanodet, Apache-2.0) as packaged in "
           f"{PACKAGE} (MIT); fine-tuning data Freiburg Groceries crops (research use): research/non-commercial")
BASE = f"NanoDet-g COCO-pretrained, RangiLyu/nanodet (Apache-2.0), TF.js graph from {PACKAGE} (MIT)"
HEAD = [f"net.out.{i}" for i in range(len(STRIDES))]
# Weights on 7 bits. On x86 CPUs without VNNI (AVX2, AVX-512 without VNNI) onnxruntime multiplies
# uint8 activations by int8 weights with VPMADDUBSW, which adds two u8 x s8 products in int16 and
# saturates past 32767: with full-range weights (2 x 255 x 127) the convolutions come out wrong and
# such a server finds other boxes than the phone or a VNNI server (0.3.3's full-range INT8 found 12 %
# more boxes than its FP32 on the 50 real photos on an AVX2 machine). 2 x 255 x 64 = 32640 fits.
WEIGHT_RANGE = (-64, 63)


def weights_from_onnx(path: str, model: onnx.ModelProto | None = None) -> dict[str, torch.Tensor]:
    """The network's state dict from an FP32 export (`model`: the file already loaded): `torch.onnx.export`
    keeps each parameter and buffer as an initializer named after it (under the `core.` of `Exported`).
    An INT8 file, whose weights were folded into int8 initializers, or another network is refused,
    naming what is missing."""
    want = random_init().state_dict()
    graph = (model or onnx.load(path)).graph
    have = {i.name[len("core."):]: i for i in graph.initializer if i.name.startswith("core.")}
    missing = [k for k in want if k not in have]
    if missing:
        raise ValueError(f"{path} is not an FP32 export of this network: no weights for {missing[:3]}"
                         f"{' and %d more' % (len(missing) - 3) if len(missing) > 3 else ''}")
    out = {}
    for k, ref in want.items():
        t = torch.from_numpy(numpy_helper.to_array(have[k]).copy())
        if t.shape != ref.shape or t.dtype != ref.dtype:
            raise ValueError(f"{path}: {k} is {tuple(t.shape)} {t.dtype}, the network wants {tuple(ref.shape)} {ref.dtype}")
        out[k] = t
    return out


def load_core(ckpt: str) -> tuple[ShelfNanoDet, dict]:
    """A checkpoint of `train` (`.pt`) or an FP32 export of this module (`.onnx`, its training info
    read back from the metadata)."""
    core = random_init()
    if ckpt.endswith(".onnx"):
        model = onnx.load(ckpt)
        core.load_state_dict(weights_from_onnx(ckpt, model))
        md = {p.key: p.value for p in model.metadata_props}
        info = {"steps": md.get("train_steps", ""), "seconds": md.get("train_seconds", ""),
                "init": md.get("init", "")}
        return core.eval(), info
    st = torch.load(ckpt, map_location="cpu")
    core.load_state_dict(st["model"])
    return core.eval(), st["info"]


def metadata(version: str, imgsz: tuple[int, int], description: str, extra: dict | None = None) -> dict[str, str]:
    md = {
        "description": description,
        "author": AUTHOR,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "version": version,
        "license": LICENSE,
        "base_model": BASE,
        "task": "detect",
        "batch": "1",
        "imgsz": str(list(imgsz)),
        "stride": str(max(STRIDES)),  # Ultralytics convention: the largest stride (levels 8, 16, 32)
        "names": "{0: 'product'}",
        "name": NAME,
    }
    md.update(extra or {})
    return md


def _export(module: torch.nn.Module, path: str, imgsz: tuple[int, int]) -> None:
    x = torch.zeros(1, 3, *imgsz)
    torch.onnx.export(module, x, path, opset_version=OPSET, input_names=["images"], output_names=["output0"],
                      do_constant_folding=True)


def _set_meta(path: str, md: dict[str, str]) -> None:
    m = onnx.load(path)
    del m.metadata_props[:]
    for k, v in md.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    m.producer_name = AUTHOR
    onnx.checker.check_model(m)
    onnx.save(m, path)


def export_fp32(core: ShelfNanoDet, path: str, imgsz: tuple[int, int], md: dict[str, str]) -> None:
    _export(Exported(copy.deepcopy(core).eval(), imgsz).eval(), path, imgsz)
    _set_meta(path, md)


def quantize_core(core: ShelfNanoDet, calib: list[torch.Tensor], float_head: bool) -> torch.nn.Module:
    from torch.ao.quantization import QConfig, QConfigMapping, disable_observer, FakeQuantize
    from torch.ao.quantization.observer import MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver
    from torch.ao.quantization.quantize_fx import prepare_qat_fx

    torch.backends.quantized.engine = "qnnpack"
    act = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
                                 dtype=torch.quint8, qscheme=torch.per_tensor_affine, reduce_range=False)
    wt = FakeQuantize.with_args(observer=MovingAveragePerChannelMinMaxObserver, quant_min=WEIGHT_RANGE[0],
                                quant_max=WEIGHT_RANGE[1], dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
                                ch_axis=0, reduce_range=False)
    qmap = QConfigMapping().set_global(QConfig(activation=act, weight=wt))
    if float_head:
        for name in HEAD:
            qmap = qmap.set_module_name(name, None)
    m = copy.deepcopy(core).train()
    prepared = prepare_qat_fx(m, qmap, example_inputs=(calib[0],))
    prepared.eval()  # observers and fake quant stay enabled in eval mode
    with torch.no_grad():
        for x in calib:
            prepared(x)
    prepared.apply(disable_observer)
    # torch.onnx exports fake quantization only over the full int8 range: the calibrated scales stay,
    # and folding the weights (`_quantize_weights`) clips them back to WEIGHT_RANGE.
    for mod in prepared.modules():
        fq = getattr(mod, "weight_fake_quant", None)
        if fq is not None:  # FakeQuantize.forward reads its observer's range
            fq.quant_min, fq.quant_max = -128, 127
            fq.activation_post_process.quant_min, fq.activation_post_process.quant_max = -128, 127
    return prepared


class _Values:
    """Constant values of a graph by name: initializers and Constant nodes, through Identity aliases."""

    def __init__(self, g: onnx.GraphProto):
        self.inits = {i.name: i for i in g.initializer}
        # constants may come as Constant nodes rather than initializers
        self.consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in g.node if n.op_type == "Constant"}
        # the exporter shares zero points through Identity nodes
        self.alias = {n.output[0]: n.input[0] for n in g.node if n.op_type == "Identity"}

    def resolve(self, name: str) -> str:
        while name in self.alias:
            name = self.alias[name]
        return name

    def __call__(self, name: str) -> np.ndarray | None:
        name = self.resolve(name)
        if name in self.inits:
            return numpy_helper.to_array(self.inits[name])
        return self.consts.get(name)


def _quantize_weights(g: onnx.GraphProto, val: _Values) -> None:
    """Each weight initializer -> QuantizeLinear becomes an int8 (on `WEIGHT_RANGE`) or uint8 initializer feeding the DequantizeLinear."""
    remove, new_inits = [], []
    for n in g.node:
        if n.op_type != "QuantizeLinear":
            continue
        w = val(n.input[0])
        if w is None or w.ndim < 2:  # activations (and biases) are left alone
            continue
        scale = val(n.input[1])
        zp = val(n.input[2]) if len(n.input) > 2 else np.zeros_like(scale, dtype=np.int8)
        axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
        shape = [1] * w.ndim
        if scale.ndim == 1 and scale.size > 1:
            shape[axis] = -1
        q = np.round(w / scale.reshape(shape)) + zp.astype(np.float32).reshape(shape)
        # int8: a convolution's weights; uint8: a constant quantized as an activation (the input's mean)
        lo, hi = WEIGHT_RANGE if zp.dtype == np.int8 else (0, 255)
        q = np.clip(q, lo, hi).astype(zp.dtype)
        qname = n.output[0] + "_int8"
        new_inits.append(numpy_helper.from_array(q, qname))
        for d in g.node:
            for k, i in enumerate(d.input):
                if i == n.output[0]:
                    d.input[k] = qname
        remove.append(n)
    for n in remove:
        g.node.remove(n)
    g.initializer.extend(new_inits)


def _drop_unused(g: onnx.GraphProto) -> None:
    """Removes initializers and Constant nodes nothing reads any more (the float weights)."""
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    keep = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    for n in [n for n in g.node if n.op_type == "Constant" and n.output[0] not in used]:
        g.node.remove(n)


def _scalar_qparams(g: onnx.GraphProto, val: _Values) -> None:
    """onnxruntime's QLinear* kernels want per-tensor scales and zero points as scalars; the exporter
    writes shape [1], and a one-element per-channel scale is per-tensor too (its `axis` goes)."""
    qdq = [n for n in g.node if n.op_type in ("QuantizeLinear", "DequantizeLinear")]
    qparams = {val.resolve(name) for n in qdq for name in n.input[1:]}
    for init in g.initializer:
        if init.name in qparams and int(np.prod(init.dims)) == 1 and len(init.dims) > 0:
            arr = numpy_helper.to_array(init).reshape(())
            init.CopyFrom(numpy_helper.from_array(arr, init.name))
    val.inits = {i.name: i for i in g.initializer}
    for n in qdq:
        sc = val(n.input[1])
        if sc is not None and sc.ndim == 0:
            for a in [a for a in n.attribute if a.name == "axis"]:
                n.attribute.remove(a)


def fold_weight_qdq(path: str) -> None:
    """Stores the QDQ model's weights as int8 initializers, drops the float ones, and makes
    per-tensor quantization parameters scalars; checks and saves the model in place."""
    m = onnx.load(path)
    val = _Values(m.graph)
    _quantize_weights(m.graph, val)
    _drop_unused(m.graph)
    _scalar_qparams(m.graph, val)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def export_int8(core: ShelfNanoDet, path: str, imgsz: tuple[int, int], md: dict[str, str], calib: list[torch.Tensor],
                float_head: bool) -> None:
    q = quantize_core(core, calib, float_head)
    _export(Exported(q, imgsz).eval(), path, imgsz)
    fold_weight_qdq(path)
    _set_meta(path, md)


def calibration_batches(dirs: list[str], n: int, imgsz: tuple[int, int], seed: int = 123) -> list[torch.Tensor]:
    """Whole training renders at the model input size (they are already letterboxed squares)."""
    cache = data.ShelfCache(dirs)
    rng = np.random.default_rng(seed)
    out = []
    for i in rng.choice(len(cache), size=min(n, len(cache)), replace=False):
        img = cache.image(int(i)).resize((imgsz[1], imgsz[0]))
        out.append(torch.from_numpy(np.asarray(img)).permute(2, 0, 1).float().div(255).unsqueeze(0))
    return out


def main() -> None:
    here = os.path.dirname(__file__)
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--out", default=os.path.join(here, ".."))
    ap.add_argument("--imgsz", type=int, nargs=2, default=[640, 640])
    ap.add_argument("--calib", nargs="+", default=[os.path.join(here, "..", ".cache", "synth", "train")])
    ap.add_argument("--calib-count", type=int, default=48)
    ap.add_argument("--float-head", choices=["yes", "no", "both"], default="both",
                    help="keep the last head convolutions in float; 'both' writes .int8.onnx and .int8-qhead.onnx")
    ap.add_argument("--description", default="ShelfWatch shelf product detector (single class): NanoDet-g, COCO-pretrained, fine-tuned on synthetic shelves")
    ap.add_argument("--manifest", action="store_true", help="point models/manifest.json at this export")
    a = ap.parse_args()
    torch.set_num_threads(2)
    imgsz = (a.imgsz[0], a.imgsz[1])
    core, info = load_core(a.ckpt)
    extra = {"params": str(count_params(core)), "gflops": f"{2 * count_macs(core, imgsz) / 1e9:.2f}",
             "train_steps": str(info.get("steps", "")), "train_seconds": str(info.get("seconds", "")),
             "init": str(info.get("init", ""))}
    os.makedirs(a.out, exist_ok=True)
    base = os.path.join(a.out, f"{NAME}-{a.version}")
    md = metadata(a.version, imgsz, a.description, extra)
    export_fp32(core, base + ".fp32.onnx", imgsz, {**md, "precision": "fp32"})
    calib = calibration_batches([d for d in a.calib if os.path.isdir(d)], a.calib_count, imgsz)
    variants = {"yes": [(True, ".int8.onnx")], "no": [(False, ".int8.onnx")],
                "both": [(True, ".int8.onnx"), (False, ".int8-qhead.onnx")]}[a.float_head]
    for fh, suffix in variants:
        export_int8(core, base + suffix, imgsz, {**md, "precision": "int8", "quantization":
                    "static QDQ, uint8 activations, int8 per-channel weights on 7 bits (-64..63)" + ("; head output convs float" if fh else "; all convs int8")}, calib, fh)
    for suffix in [".fp32.onnx"] + [s for _, s in variants]:
        print(base + suffix, os.path.getsize(base + suffix))
    if a.manifest:
        write_manifest(a.out, a.version, imgsz)


def write_manifest(out: str, version: str, imgsz: tuple[int, int], int8_suffix: str = ".int8.onnx") -> str:
    """models/manifest.json: the model the server and the PWA load by default."""
    man = {"name": NAME, "version": version, "int8": f"{NAME}-{version}{int8_suffix}",
           "fp32": f"{NAME}-{version}.fp32.onnx", "imgsz": list(imgsz)}
    path = os.path.join(out, "manifest.json")
    with open(path, "w") as f:
        json.dump(man, f, indent=2)
        f.write("\n")
    return path


if __name__ == "__main__":
    main()
