"""Markdown tables for the model card from `node dist/eval-cli.js` output (runs/eval.json)."""

import json
import sys

rep = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "runs/eval.json"))
conf_sel = [float(c) for c in (sys.argv[2] if len(sys.argv) > 2 else "0.25,0.3,0.35,0.4,0.45,0.5").split(",")]
iou_sel = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5

print("Synthetic held-out (AP independent of conf; P/R/count at conf):\n")
print("| model | conf | IoU | AP50 | AP50:95 | precision | recall | count MAE | count error % |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for name, r in rep["models"].items():
    for g in r.get("synthetic", {}).get("grid", []):
        if g["iou"] == iou_sel and g["conf"] in conf_sel:
            print(f"| {name} | {g['conf']} | {g['iou']} | {g['ap50']:.3f} | {g['ap5095']:.3f} | {g['precision']:.3f} | {g['recall']:.3f} | {g['countMae']:.1f} | {g['countMape']:.1f} |")
print("\nReal photos: hand-counted rows (count = detections centred in the row) and the row proxy:\n")
print("| model | conf | IoU | rows MAPE | 95 % interval | rows within 10 % | row coverage | straddle | nested | median count | min-max |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for name, r in rep["models"].items():
    for g in r.get("real", {}).get("grid", []):
        if g["conf"] in conf_sel and g["iou"] == iou_sel:
            ci = g.get("handMapeInterval")
            ci = f"{ci[0]:.1f}-{ci[1]:.1f} %" if ci else "-"
            hand = f"{g['handMape']:.1f} % | {ci} | {100 * g['handWithin10']:.1f} %" if "handMape" in g else "- | - | -"
            print(f"| {name} | {g['conf']} | {g['iou']} | {hand} | {g['rowCoverage']:.3f} | {100 * g['straddleRate']:.2f} % | {100 * g['nestedRate']:.2f} % | {g['medianCount']} | {g['minCount']}-{g['maxCount']} |")
paired = [p for p in rep.get("paired", []) if p["conf"] in conf_sel and p["iou"] == iou_sel]
if paired:
    print("\nPaired on the same hand-counted rows (mean of per-row error differences; negative: closer than the first model):\n")
    print("| model | against | conf | IoU | rows MAPE difference | 95 % interval |")
    print("| --- | --- | --- | --- | --- | --- |")
    for p in paired:
        print(f"| {p['model']} | {p['against']} | {p['conf']} | {p['iou']} | {p['delta']:+.1f} points | {p['lo']:+.1f} to {p['hi']:+.1f} |")
print("\nLatency:\n")
print("| model | 1 thread ms | 2 threads ms |")
print("| --- | --- | --- |")
for name, r in rep["models"].items():
    lat = r.get("latencyMs", {})
    print(f"| {name} | {lat.get('threads1', float('nan')):.1f} | {lat.get('threads2', float('nan')):.1f} |")
