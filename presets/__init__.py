"""Factory style presets (*.json) shipped with kickgen, read through importlib.resources."""
