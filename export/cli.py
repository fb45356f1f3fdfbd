"""`kickgen-export CHECKPOINT --out BUNDLE_DIR [--force]`: write a model bundle;
`kickgen-export --add-style-fit BUNDLE_DIR`: give an older bundle its style-fitting graphs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kickgen.engine.errors import run_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kickgen-export", description="Export a checkpoint to a model bundle.")
    parser.add_argument("checkpoint", type=Path, nargs="?", help="checkpoint.pt written by `kickgen train`")
    parser.add_argument("--out", type=Path, help="bundle folder to create")
    parser.add_argument("--force", action="store_true", help="replace an existing bundle folder")
    parser.add_argument("--add-style-fit", type=Path, metavar="BUNDLE_DIR",
                        help="instead: add the style-fitting graphs to a bundle exported without them "
                             "(built from its own weights; its id stays)")
    args = parser.parse_args(argv)
    if (args.add_style_fit is None) == (args.checkpoint is None) or (args.checkpoint and args.out is None):
        parser.error("give CHECKPOINT --out BUNDLE_DIR, or --add-style-fit BUNDLE_DIR")

    def export() -> None:
        from kickgen.engine.runtime.bundle_files import bundle_id
        from kickgen.export.onnx_export import TOLERANCE, add_style_fit, export_checkpoint

        if args.add_style_fit is not None:
            worst = add_style_fit(args.add_style_fit)
            print(f"added the style-fitting graphs to {args.add_style_fit} (id {bundle_id(args.add_style_fit)[:16]}); "
                  f"onnxruntime matches torch to {worst:.1e} (limit {TOLERANCE:.0e})")
            return
        worst = export_checkpoint(args.checkpoint, args.out, force=args.force)
        print(f"wrote {args.out} (id {bundle_id(args.out)[:16]}); onnxruntime matches torch to "
              f"{worst:.1e} (limit {TOLERANCE:.0e})")

    return run_command("kickgen-export", export)


if __name__ == "__main__":
    sys.exit(main())
