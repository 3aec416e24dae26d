"""Emoji the Possibilities: facial expressions as emoji, from a CNN trained on the FER+
crowd votes for the FER-2013 faces.

    >>> from emoji_fer import Predictor
    >>> Predictor().top_emotion("../shared/samples/justin.jpg")
    ('happy', 0.916...)

Public API (stable within a major version):
- `Predictor`: loads the shipped model once (LiteRT, no TensorFlow), finds every face and
  classifies it; `predict` (faces with box, scores and top-k emoji), and the `fer`
  package's `detect_emotions` and `top_emotion`. `Predictor("emoji_fer_fer2013")` loads
  the model trained on FER-2013's single labels.
- `FER`, `Video`, `InvalidImage`: the `fer` package's API (fer 25.10.3) on this model, so
  a `fer` user switches with one import: `FER` takes OpenCV's BGR arrays and returns
  fer's rounded scores, `Video(path).analyze(FER())` fer's per-frame rows
  (emoji_fer/fer_compat.py, docs/fer.md).
- `ImageError`: raised for any input that is not a usable image (InvalidImage is one).
- `LABELS`: the seven FER-2013 labels in the dataset's order; `EMOJI`: label -> emoji.
- `SCHEMA_VERSION`: the version of the JSON that `predict`, the CLI and the demo's
  /predict return.
- `__version__`: this package's version (PEP 440).
"""

__version__ = "1.0.0"

from emoji_fer.fer_compat import FER, InvalidImage, Video  # noqa: E402
from emoji_fer.images import ImageError  # noqa: E402
from emoji_fer.labels import EMOJI, LABELS  # noqa: E402
from emoji_fer.predictor import SCHEMA_VERSION, Predictor  # noqa: E402

__all__ = ["Predictor", "FER", "Video", "InvalidImage", "ImageError", "LABELS", "EMOJI", "SCHEMA_VERSION",
           "__version__"]
