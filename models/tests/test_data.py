"""Training splits: rendered ones (labels.npz) and pseudo-labelled photos (labels.json) read alike."""

import json
import os
import tempfile
import unittest

import numpy as np
from PIL import Image

from shelfwatch_train.config import data_checksum
from shelfwatch_train.data import ShelfCache


class Splits(unittest.TestCase):
    def test_json_split_reads_like_a_rendered_one(self) -> None:
        boxes = {"a": [[1, 2, 30, 40], [31, 2, 60, 40.5]], "b": []}
        with tempfile.TemporaryDirectory() as npz_dir, tempfile.TemporaryDirectory() as json_dir:
            for d in (npz_dir, json_dir):
                for key in boxes:
                    Image.new("RGB", (64, 48), (114, 114, 114)).save(os.path.join(d, key + ".jpg"))
            np.savez(os.path.join(npz_dir, "labels.npz"), **{k: np.asarray(v, np.float32).reshape(-1, 4) for k, v in boxes.items()})
            with open(os.path.join(json_dir, "labels.json"), "w") as f:
                json.dump({"images": [{"file": k + ".jpg", "boxes": v} for k, v in boxes.items()]}, f)
            rendered, pseudo = ShelfCache([npz_dir]), ShelfCache([json_dir])
            self.assertEqual(len(pseudo), 2)
            for r, p in zip(rendered.boxes, pseudo.boxes):
                np.testing.assert_array_equal(r, p)
                self.assertEqual(p.shape[1], 4)
            self.assertEqual(pseudo.image(0).size, (64, 48))
            self.assertEqual(len(data_checksum(json_dir)), 64)


if __name__ == "__main__":
    unittest.main()
