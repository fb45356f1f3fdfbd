"""`python -m kickgen.engine.cli`: the `kickgen` command (torchrun runs it this way)."""

import sys

from kickgen.engine.cli.main import main

sys.exit(main())
