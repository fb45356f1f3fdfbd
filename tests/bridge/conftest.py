"""Lets the bridge tests import their helpers (jack_session) as plain modules."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
