"""kickgen's offline engine: signals, model, training, peaks, metrics and style codes.

Importing this package stays light: torch is imported only by the modules that train
(`model`, `losses`, `augment`, `train`) and never by the runtime path.
"""

from kickgen.engine.errors import KickgenError

__version__ = "0.1.0"

__all__ = ["KickgenError", "__version__"]
