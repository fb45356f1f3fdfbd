"""kickgen's offline engine: signals, model, training, peaks, metrics and style codes.

Importing this package stays light: torch is imported only by the modules that train
and evaluate (`model`, `losses`, `augment`, `train`, `evaluate`, `demo`), never by the
runtime path (`runtime`, `bundle`, signals, peaks, metrics, style).
"""

from kickgen.engine.errors import KickgenError

__version__ = "0.1.0"

__all__ = ["KickgenError", "__version__"]
