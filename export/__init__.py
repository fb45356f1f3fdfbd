"""Checkpoint -> ONNX model bundle (decoder + encoder), with a parity check."""
