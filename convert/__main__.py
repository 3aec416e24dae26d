"""Command line: python -m convert [--model models/emoji_fer.keras] [--out web_tfjs/model]
[--quantize none|float16|uint8|mixed] [--max-mb 2.0]"""

import argparse
import sys

from convert.export import DEFAULT_OUT, MAX_BYTES, QUANTIZE, ConvertError, export_tfjs
from emoji_fer.model_files import DEFAULT_MODEL, ModelFileError

# Measured on the shipped model (python -m convert.parity --all): all-uint8 weights agree with
# Keras on 98.4 % of PrivateTest; "mixed" fits the 2 MB budget at 99.9 %.
DEFAULT_QUANTIZE = "mixed"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m convert", description="Export a trained model to TensorFlow.js.")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="a .keras model with its .json beside it")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (model.json, shards, metadata.json)")
    parser.add_argument("--quantize", choices=QUANTIZE, default=DEFAULT_QUANTIZE,
                        help=f"weight storage (default: {DEFAULT_QUANTIZE}: float16, the largest tensors uint8)")
    parser.add_argument("--max-mb", type=float, default=MAX_BYTES / 1e6,
                        help="download budget for --quantize mixed, in MB (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        result = export_tfjs(args.model, args.out, args.quantize, int(args.max_mb * 1e6))
    except (ConvertError, ModelFileError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for name, size in result["files"].items():
        print(f"{args.out}/{name}: {size:,} bytes")
    uint8 = f"; uint8: {', '.join(result['uint8'])}" if result["uint8"] else ""
    print(f"total: {result['bytes'] / 1e6:.2f} MB ({args.quantize} weights{uint8})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
