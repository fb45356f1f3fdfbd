"""Helpers with no musical knowledge: atomic file writes, JSON files and frozen
dataclasses, and a process pool with a progress bar."""
