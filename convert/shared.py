"""The constants the browser page shares with the Python package, written from Python
into web_tfjs/js/shared.json:

    python -m convert.shared            # (re)write the file
    python -m convert.shared --check    # exit 1 if the file is stale

Python is the source of truth: each value is read from the module that defines and uses
it (`SHARED`), so a change there reaches the page by running this command, and
tests/test_shared_constants.py fails until it is run. The page's modules import the
values from js/shared.js, which reads the JSON file as a JSON module. What the page
knows about the model itself (labels, input size, TTA, ...) is not here: it comes from
the model's metadata.json (`python -m convert`).

Plain imports of the emoji_fer package only: no TensorFlow, so the command is quick.
"""

import argparse
import json
import sys

from convert import ROOT
from emoji_fer import images, live, predictor

OUT = ROOT / "web_tfjs" / "js" / "shared.json"
COMMAND = "python -m convert.shared"

# name -> (the Python module that defines it, what it is on the page).
SHARED = {
    "MAX_SIDE": (images, "a photo's longest side in px for detection (larger photos are downscaled)"),
    "WHOLE_IMAGE_MAX_SIDE": (predictor, "the longest side in px of a photo classified whole, as one face crop"),
    "DEFAULT_RATE": (live, "the timeline's samples per second by default"),
    "MAX_RATE": (live, "the timeline's samples per second at most"),
}


def values():
    """{name: the Python value} for every shared constant."""
    return {name: getattr(module, name) for name, (module, _) in SHARED.items()}


def render():
    """The text of shared.json: a note saying it is generated and from where, then the values."""
    return json.dumps({
        "_generated": f"by `{COMMAND}` (convert/shared.py) from the Python modules below; do not edit: "
                      "change the Python value, then run the command again",
        "_sources": {name: f"{module.__name__}.{name}: {meaning}" for name, (module, meaning) in SHARED.items()},
        **values(),
    }, indent=2, ensure_ascii=False) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog=COMMAND, description="Write the constants the page shares with Python.")
    parser.add_argument("--check", action="store_true", help=f"only check that {OUT.name} is up to date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if OUT.is_file() and OUT.read_text() == text:
            return 0
        print(f"error: {OUT.relative_to(ROOT)} is stale: run `{COMMAND}`", file=sys.stderr)
        return 1
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
