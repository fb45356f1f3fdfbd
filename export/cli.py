"""`kickgen-export CHECKPOINT --out BUNDLE_DIR [--force]`: write a model bundle."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kickgen.engine.errors import run_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kickgen-export", description="Export a checkpoint to a model bundle.")
    parser.add_argument("checkpoint", type=Path, help="checkpoint.pt written by `kickgen train`")
    parser.add_argument("--out", type=Path, required=True, help="bundle folder to create")
    parser.add_argument("--force", action="store_true", help="replace an existing bundle folder")
    args = parser.parse_args(argv)

    def export() -> None:
        from kickgen.engine.runtime.bundle_files import bundle_id
        from kickgen.export.onnx_export import TOLERANCE, export_checkpoint

        worst = export_checkpoint(args.checkpoint, args.out, force=args.force)
        print(f"wrote {args.out} (id {bundle_id(args.out)[:16]}); onnxruntime matches torch to "
              f"{worst:.1e} (limit {TOLERANCE:.0e})")

    return run_command("kickgen-export", export)


if __name__ == "__main__":
    sys.exit(main())
