"""The shipped default model bundle, read through importlib.resources."""
