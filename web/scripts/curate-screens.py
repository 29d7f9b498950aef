#!/usr/bin/env python3
"""Copies the README's screenshots from e2e/reports/screens (written by the e2e tests, git-ignored)
to web/docs/screens as 256-colour PNGs (a third of the size), for committing.
Run the e2e tests with SHELFWATCH_E2E_NO_SHARED_DATA=1 first, so that no screenshot shows a photo
from ../shared/data (those photos may not be committed), then:  /usr/bin/python3 web/scripts/curate-screens.py
Needs PIL (Debian: python3-pil)."""
import pathlib
import sys

from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[2]
SRC = ROOT / 'e2e' / 'reports' / 'screens'
DST = ROOT / 'web' / 'docs' / 'screens'
SHOTS = [
    '00-setup', '01-capture-ready-offline', '01b-camera', '03-counting', '04-quality-blurry',
    '05-quality-tilted', '06-review', '07-zoomed', '08-row-highlighted', '09-done', '10-captive-portal',
    '10b-refused', '11-compare', '12-history', '14-dark-review', '02-refused-cut-off',
]

# Names on the command line copy only those (e.g. the dashboard's, after its e2e spec alone).
SHOTS = sys.argv[1:] or SHOTS
missing = [s for s in SHOTS if not (SRC / f'{s}.png').exists()]
if missing:
    sys.exit(f'missing in {SRC}: {", ".join(missing)} (run the e2e tests first)')
DST.mkdir(parents=True, exist_ok=True)
total = 0
for name in SHOTS:
    img = Image.open(SRC / f'{name}.png').convert('RGB')
    out = DST / f'{name}.png'
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, optimize=True)
    total += out.stat().st_size
    print(f'{out.relative_to(ROOT)}  {img.width}x{img.height}  {out.stat().st_size // 1024} KB')
print(f'{len(SHOTS)} screenshots, {total // 1024} KB')
