"""Dataset import: each malformed input is reported with its file and line, and skipped or refused."""

import json
import os
import tempfile
import unittest

from PIL import Image

from shelfwatch_train.dataset_import import DatasetError, import_coco, import_voc, import_yolo, write_cache


def _img(path: str, w: int = 100, h: int = 50) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.new("RGB", (w, h), (200, 10, 10)).save(path)


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


class YoloImport(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name
        _write(os.path.join(self.root, "data.yaml"), "nc: 2\nnames: ['can', 'box']\n")

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def test_good_labels_become_pixel_boxes(self) -> None:
        _img(os.path.join(self.root, "train/images/a.jpg"))
        _write(os.path.join(self.root, "train/labels/a.txt"), "0 0.5 0.5 0.2 0.4\n1 0.25 0.5 0.1 0.2\n")
        ds = import_yolo(self.root)
        self.assertEqual(ds.names, ["can", "box"])
        self.assertEqual(len(ds.items), 1)
        self.assertEqual(ds.issues, [])
        self.assertEqual(ds.items[0].boxes.tolist()[0], [40.0, 15.0, 60.0, 35.0])
        self.assertEqual(ds.items[0].classes.tolist(), [0, 1])

    def test_each_malformed_line_is_reported_with_file_and_line(self) -> None:
        _img(os.path.join(self.root, "train/images/a.jpg"))
        lines = ["0 0.5 0.5 0.2 0.2",  # 1 ok
                 "",  # 2 empty line
                 "0 0.5 zero 0.2 0.2",  # 3 garbled
                 "7 0.5 0.5 0.2 0.2",  # 4 wrong class id
                 "0 1.7 0.5 0.2 0.2",  # 5 out of range
                 "0 0.5 0.5",  # 6 too few fields
                 "1 0.5 0.5 0.1 0.1"]  # 7 ok
        _write(os.path.join(self.root, "train/labels/a.txt"), "\n".join(lines) + "\n")
        ds = import_yolo(self.root, max_bad_fraction=1.0)
        got = [(i.file, i.line, i.code, i.action) for i in ds.issues]
        f = os.path.join("train", "labels", "a.txt")
        self.assertEqual(got, [(f, 2, "EMPTY_LINE", "skipped-object"), (f, 3, "GARBLED_LINE", "skipped-object"),
                               (f, 4, "BAD_CLASS", "skipped-object"), (f, 5, "OUT_OF_RANGE", "skipped-object"),
                               (f, 6, "GARBLED_LINE", "skipped-object")])
        self.assertEqual(len(ds.items[0].boxes), 2)
        self.assertIn("a.txt:4: BAD_CLASS", str(ds.issues[2]))

    def test_missing_image_skips_the_label_file(self) -> None:
        _img(os.path.join(self.root, "train/images/a.jpg"))
        _write(os.path.join(self.root, "train/labels/a.txt"), "0 0.5 0.5 0.2 0.2\n")
        _write(os.path.join(self.root, "train/labels/ghost.txt"), "0 0.5 0.5 0.2 0.2\n")
        ds = import_yolo(self.root)
        self.assertEqual(len(ds.items), 1)
        self.assertEqual([(i.code, i.action) for i in ds.issues], [("MISSING_IMAGE", "skipped-image")])
        self.assertTrue(ds.issues[0].file.endswith("ghost.txt"))

    def test_slightly_outside_box_is_clipped_and_reported(self) -> None:
        _img(os.path.join(self.root, "train/images/a.jpg"))
        _write(os.path.join(self.root, "train/labels/a.txt"), "0 0.1 0.5 0.205 0.2\n")
        ds = import_yolo(self.root)
        self.assertEqual([i.code for i in ds.issues], ["CLIPPED"])
        self.assertEqual(ds.items[0].boxes[0, 0], 0.0)

    def test_strict_policy_refuses_on_first_problem(self) -> None:
        _img(os.path.join(self.root, "train/images/a.jpg"))
        _write(os.path.join(self.root, "train/labels/a.txt"), "0 0.5 0.5 0.2 0.2\n9 0.5 0.5 0.2 0.2\n")
        with self.assertRaises(DatasetError) as cm:
            import_yolo(self.root, policy="strict")
        self.assertIn("a.txt:2", str(cm.exception))

    def test_mostly_broken_labels_are_refused(self) -> None:
        _img(os.path.join(self.root, "train/images/a.jpg"))
        _write(os.path.join(self.root, "train/labels/a.txt"), "0 0.5 0.5 0.2 0.2\nx\ny\nz\n")
        with self.assertRaises(DatasetError) as cm:
            import_yolo(self.root)
        self.assertIn("3 of 4 objects", str(cm.exception))
        self.assertEqual(len(cm.exception.issues), 3)

    def test_missing_or_inconsistent_data_yaml_is_refused(self) -> None:
        _write(os.path.join(self.root, "data.yaml"), "nc: 3\nnames: ['a']\n")
        with self.assertRaises(DatasetError):
            import_yolo(self.root)
        os.remove(os.path.join(self.root, "data.yaml"))
        with self.assertRaises(DatasetError):
            import_yolo(self.root)

    def test_empty_label_file_is_a_background_image(self) -> None:
        _img(os.path.join(self.root, "images/a.png"))
        _write(os.path.join(self.root, "labels/a.txt"), "")
        ds = import_yolo(self.root)
        self.assertEqual((len(ds.items), len(ds.items[0].boxes), ds.issues), (1, 0, []))

    def test_write_cache_letterboxes_boxes(self) -> None:
        _img(os.path.join(self.root, "images/a.png"), 200, 100)
        _write(os.path.join(self.root, "labels/a.txt"), "0 0.5 0.5 0.5 0.5\n")
        out = write_cache(import_yolo(self.root), os.path.join(self.root, "cache"), size=64)
        with open(os.path.join(out, "labels.json")) as f:
            j = json.load(f)
        # 200x100 -> 64x32, padded 16 rows on top
        self.assertEqual(j["images"][0]["boxes"], [[16.0, 24.0, 48.0, 40.0]])


class CocoImport(unittest.TestCase):
    def test_bad_annotations_are_reported_by_id(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            _img(os.path.join(root, "a.jpg"))
            coco = {"images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 50},
                               {"id": 2, "file_name": "missing.jpg", "width": 100, "height": 50}],
                    "categories": [{"id": 3, "name": "product"}],
                    "annotations": [{"id": 10, "image_id": 1, "category_id": 3, "bbox": [10, 10, 20, 20]},
                                    {"id": 11, "image_id": 1, "category_id": 4, "bbox": [10, 10, 20, 20]},
                                    {"id": 12, "image_id": 1, "category_id": 3, "bbox": [90, 10, 50, 20]},
                                    {"id": 13, "image_id": 1, "category_id": 3, "bbox": "10 10 20 20"},
                                    {"id": 14, "image_id": 1, "category_id": 3, "bbox": [10, 10, 0, 5]},
                                    {"id": 15, "image_id": 1, "category_id": 3, "bbox": [1, 1, 5, 5]},
                                    {"id": 16, "image_id": 1, "category_id": 3, "bbox": [2, 2, 5, 5]}]}
            _write(os.path.join(root, "ann.json"), json.dumps(coco))
            ds = import_coco(os.path.join(root, "ann.json"), max_bad_fraction=1.0)
            got = [(i.line, i.code) for i in ds.issues]
            self.assertEqual(got, [(11, "BAD_CLASS"), (12, "OUT_OF_RANGE"), (13, "GARBLED_LINE"),
                                   (14, "EMPTY_BOX"), (None, "MISSING_IMAGE")])
            self.assertEqual(ds.items[0].boxes.tolist()[0], [10.0, 10.0, 30.0, 30.0])
            self.assertEqual(ds.names, ["product"])

    def test_unparseable_json_is_refused(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            _write(os.path.join(root, "ann.json"), "{not json")
            with self.assertRaises(DatasetError):
                import_coco(os.path.join(root, "ann.json"))


class VocImport(unittest.TestCase):
    def test_voc_objects_and_garbled_files(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            _img(os.path.join(root, "a.jpg"))
            _write(os.path.join(root, "a.xml"), """<annotation><filename>a.jpg</filename>
<object><name>can</name><bndbox><xmin>11</xmin><ymin>11</ymin><xmax>30</xmax><ymax>30</ymax></bndbox></object>
<object><name>can</name><bndbox><xmin>11</xmin><ymin>x</ymin><xmax>30</xmax><ymax>30</ymax></bndbox></object>
<object><name>can</name><bndbox><xmin>11</xmin><ymin>11</ymin><xmax>300</xmax><ymax>30</ymax></bndbox></object>
</annotation>""")
            _write(os.path.join(root, "b.xml"), "<annotation><object>")
            ds = import_voc(root, max_bad_fraction=1.0)
            got = [(i.file, i.line, i.code) for i in ds.issues]
            self.assertEqual(got, [("a.xml", 2, "GARBLED_LINE"), ("a.xml", 3, "OUT_OF_RANGE"), ("b.xml", 1, "GARBLED_FILE")])
            self.assertEqual(ds.items[0].boxes.tolist(), [[10.0, 10.0, 30.0, 30.0]])

    def test_fixed_names_reject_unknown_classes(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            _img(os.path.join(root, "a.jpg"))
            _write(os.path.join(root, "a.xml"), "<annotation><filename>a.jpg</filename><object><name>dog</name>"
                   "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>"
                   "<object><name>can</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object></annotation>")
            ds = import_voc(root, names=["can"], max_bad_fraction=1.0)
            self.assertEqual([(i.line, i.code) for i in ds.issues], [(1, "BAD_CLASS")])


if __name__ == "__main__":
    unittest.main()
