"""Where models live and how their JSON metadata is read and written.

A model is two files side by side: `<name>.keras` (Keras 3 format) and `<name>.json`
(labels, emoji, preprocessing, training recipe, metrics). Every consumer takes the
preprocessing from the JSON, never from its own copy.
"""

import hashlib
import json
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = PACKAGE_ROOT / "models"
DEFAULT_MODEL = MODELS_DIR / "emoji_fer.keras"


class ModelFileError(FileNotFoundError):
    """A model or its metadata file is missing or unreadable."""


def metadata_path(model_path):
    """The JSON beside a model: models/x.keras -> models/x.json (a Path; not checked)."""
    return Path(model_path).with_suffix(".json")


def read_metadata(model_path):
    """The metadata dict of a model. Raises ModelFileError if the JSON is missing or invalid."""
    path = metadata_path(model_path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelFileError(f"metadata {path} not found next to model {model_path}") from None
    except json.JSONDecodeError as err:
        raise ModelFileError(f"metadata {path} is not valid JSON: {err}") from None


def write_metadata(model_path, metadata):
    """Write the metadata dict as the model's JSON (UTF-8, emoji unescaped); returns its Path."""
    path = metadata_path(model_path)
    path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
    return path


def model_tta(metadata):
    """The test-time augmentation a model is served with ("inference.tta" in its JSON;
    "none" for models written before TTA existed). See emoji_fer.inference.TTA_MODES."""
    return metadata.get("inference", {}).get("tta", "none")


def sha256(path):
    """Hex SHA-256 of a file: how exports (TF.js, LiteRT) name the model they were made from."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
