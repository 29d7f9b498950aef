"""Shelf synthesis: stacks of flat packs get one box per pack; older splits render as they did."""

import hashlib
import unittest

import numpy as np
from PIL import Image

from shelfwatch_train import synth


def _tallest_stack(boxes: list) -> int:
    """The most boxes standing exactly on one another (same left and right edge, bottom on top)."""
    on_top = {(x1, x2, y2): (x1, y1, x2, y2) for x1, y1, x2, y2 in boxes}
    tallest = 0
    for box in boxes:
        n = 1
        while (box[0], box[2], box[1]) in on_top:
            box = on_top[(box[0], box[2], box[1])]
            n += 1
        tallest = max(tallest, n)
    return tallest


class Stacks(unittest.TestCase):
    def _row(self, seed: int, stacks: float, seams: bool = False) -> list:
        canvas = Image.new("RGB", (800, 200), (128, 128, 128))
        boxes: list = []
        synth._fill_row(canvas, np.random.default_rng(seed), [], 20, 180, 130.0, 800, boxes, 0.0, stacks, seams)
        return boxes

    def test_stacks_give_one_box_per_pack(self) -> None:
        tallest = [_tallest_stack(self._row(seed, 0.35)) for seed in range(20)]
        self.assertGreaterEqual(max(tallest), 4, tallest)
        for seed in range(20):
            for x1, y1, x2, y2 in self._row(seed, 0.35):
                self.assertLessEqual(y2, 180)  # packs stand on the board, none floats below it
                self.assertGreaterEqual(y1, 20 - 1)  # and the stack stays within its row

    def test_without_stacks_no_column_is_taller_than_two(self) -> None:
        # A facing is at least 0.52 of the row's height: two layers at most, and in practice none.
        tallest = [_tallest_stack(self._row(seed, 0.0)) for seed in range(20)]
        self.assertLessEqual(max(tallest), 2, tallest)


class OlderSplits(unittest.TestCase):
    def test_render_as_before_the_stacks_option(self) -> None:
        # Boxes of procedural shelves as rendered before `stacks` existed: the option draws from the
        # random stream only when on, so the splits of earlier models render the same images.
        want = ["173e25f94965e3a3", "c31e11dc58a72fb5", "1c4f7519c490ae39",
                "a90fa6dc250fbc86", "77517e6329e3c063", "93478b215fda8f58"]
        got = []
        for i in range(3):
            for extras in (False, True):
                rng = np.random.default_rng(3_000_000 + i)
                _, b = synth.render_shelf(rng, [], out_size=320, crop_prob=0.0, jpeg=False, extras=extras)
                got.append(hashlib.sha256(np.round(b.astype(np.float64), 2).tobytes()).hexdigest()[:16])
        self.assertEqual(got, want)


if __name__ == "__main__":
    unittest.main()
