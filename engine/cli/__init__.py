"""The `kickgen` command: one module per command group (`train`, `corpus`, `presets`,
`render` with `sample`, `evaluate`), the flags several share declared once in `common`.
Handlers parse, call the library and print; every `KickgenError` becomes one line on
stderr and exit code 2. A handler imports what it needs when it runs, so the
producer's commands never import torch."""

from kickgen.engine.cli.main import main

__all__ = ["main"]
