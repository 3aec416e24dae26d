"""What the browser page and Python serving get from the Python side: the Keras ->
TensorFlow.js export (`python -m convert`), its parity check against Keras
(`python -m convert.parity`), the LiteRT export (`python -m convert --litert`), and the
constants the page shares with the package (`python -m convert.shared`)."""

from pathlib import Path

# The repository these tools run in (they are not part of the installed package), and
# the shipped model's Keras file there: what exports and training start from.
ROOT = Path(__file__).resolve().parent.parent
SHIPPED_KERAS = ROOT / "models" / "emoji_fer.keras"
