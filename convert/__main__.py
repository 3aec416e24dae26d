"""Command line:
python -m convert [--model models/emoji_fer.keras] [--out web_tfjs/model]
                  [--quantize none|float16|uint8|mixed] [--max-mb 2.0]   (TF.js, for the page)
python -m convert --metadata-only [--model ...] [--out ...]   (rewrite metadata.json only)
python -m convert --litert [--model models/emoji_fer.keras] [--quantize dynamic|none]
                                                          (LiteRT, for Python serving)"""

import argparse
import sys

from convert import SHIPPED_KERAS
from convert.export import DEFAULT_OUT, MAX_BYTES, QUANTIZE, ConvertError, export_tfjs, write_web_metadata
from convert.litert import QUANTIZE as LITERT_QUANTIZE
from convert.litert import export_litert
from emoji_fer.model_files import ModelFileError

# All-uint8 weights cost agreement with Keras; "mixed" fits the page's 2 MB budget with
# nearly float16's agreement (python -m convert.parity --all; docs/web.md, "Export to
# TensorFlow.js").
DEFAULT_QUANTIZE = "mixed"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m convert",
                                     description="Export a trained model to TensorFlow.js or LiteRT.")
    parser.add_argument("--litert", action="store_true",
                        help="write <model>.tflite beside the model (for Python serving) instead of TF.js")
    parser.add_argument("--metadata-only", action="store_true",
                        help="rewrite --out's metadata.json for the model files already there (they stay as they are)")
    parser.add_argument("--model", default=str(SHIPPED_KERAS), help="a .keras model with its .json beside it")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (model.json, shards, metadata.json)")
    parser.add_argument("--quantize", choices=sorted(set(QUANTIZE) | set(LITERT_QUANTIZE)),
                        help=f"weight storage. TF.js: {', '.join(QUANTIZE)} (default {DEFAULT_QUANTIZE}: float16, "
                             f"the largest tensors uint8); LiteRT: {', '.join(LITERT_QUANTIZE)} (default dynamic)")
    parser.add_argument("--max-mb", type=float, default=MAX_BYTES / 1e6,
                        help="download budget for --quantize mixed, in MB (default: %(default)s)")
    args = parser.parse_args(argv)
    quantize = args.quantize or (LITERT_QUANTIZE[0] if args.litert else DEFAULT_QUANTIZE)
    allowed = LITERT_QUANTIZE if args.litert else QUANTIZE
    if quantize not in allowed:
        parser.error(f"--quantize {quantize} is not available for {'LiteRT' if args.litert else 'TF.js'}; "
                     f"choose from {', '.join(allowed)}")
    if args.litert:
        try:
            path = export_litert(args.model, quantize)
        except ModelFileError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"{path}: {path.stat().st_size:,} bytes (recorded in {path.with_suffix('.json').name})")
        return 0
    if args.metadata_only:
        try:
            write_web_metadata(args.model, args.out)
        except (OSError, ValueError, KeyError, ModelFileError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"{args.out}/metadata.json rewritten")
        return 0
    try:
        result = export_tfjs(args.model, args.out, quantize, int(args.max_mb * 1e6))
    except (ConvertError, ModelFileError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for name, size in result["files"].items():
        print(f"{args.out}/{name}: {size:,} bytes")
    uint8 = f"; uint8: {', '.join(result['uint8'])}" if result["uint8"] else ""
    print(f"total: {result['bytes'] / 1e6:.2f} MB ({quantize} weights{uint8})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
