"""The feedback room: faces users confirmed or corrected, and what is learnt from them.

- `store`: the FeedbackStore (SQLAlchemy on SQLite or PostgreSQL, one row per press: the
  48x48 crop, the probabilities, the predicted and the given label), `submit`, which
  classifies a photo again before storing, and the errors;
- `migrations`: the store's schema under Alembic;
- `export`: the store as FER-2013 folders for `python -m train --extra-data`;
- `health`: model health figures (accuracy, corrections, confusion matrix, ECE, the
  predicted-label mix) computed from the rows; `plots` draws them with matplotlib.

Needs the `[feedback]` extra (`[demo]` includes it); `plots` needs matplotlib too. The
core library never imports this package; the demo (emoji_fer.app) and the CLI's
`feedback` commands do. The store's public names are importable from here.
"""

from emoji_fer.feedback.export import ExportError, export_folder
from emoji_fer.feedback.store import (CROP_SIDE, ENV_VAR, MAX_ID, SOURCES, FeedbackError, FeedbackStore,
                                      StoreUnavailable, crop_png, default_url, face_number, png_pixels, redact,
                                      safe_url, submit)

__all__ = ["FeedbackStore", "FeedbackError", "StoreUnavailable", "ExportError", "submit", "export_folder",
           "default_url", "crop_png", "png_pixels", "face_number", "safe_url", "redact", "ENV_VAR", "SOURCES",
           "CROP_SIDE", "MAX_ID"]
