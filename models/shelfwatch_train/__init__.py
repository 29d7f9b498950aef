"""ShelfWatch detector pipeline: dataset import, shelf synthesis, training, ONNX export and INT8 quantization."""

__version__ = "0.1.0"
