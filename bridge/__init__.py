"""kickgen's live MIDI bridge: follows a DAW's clock and bars, listens to the snare and
bass, and answers with kick notes. The core (`core.BridgeCore`) is pure and runs in
simulated time; `ports` and `cli` are the thin real-time layer around it.

Torch-free: it runs on the onnxruntime bundle.
"""
