"""Where models live and how their JSON metadata is read and written.

A model is files side by side, named by any one of them: `<name>.json` (labels, emoji,
preprocessing, training recipe, metrics), `<name>.tflite` (the LiteRT export the
Predictor serves) and, where training left it, `<name>.keras` (Keras 3 format, needed
only to train, export or run in Keras). Every consumer takes the preprocessing from the
JSON, never from its own copy.

The shipped model: in an installed wheel its `.json` and `.tflite` are package data
(`emoji_fer/models/`, found through importlib.resources); in a clone of the repository
(an editable install, or run from the source tree) they are in `models/`, beside the
`.keras` file.
"""

import hashlib
import json
from importlib import resources
from pathlib import Path

SHIPPED_NAME = "emoji_fer"


def shipped_model():
    """Path of the shipped model's metadata, `emoji_fer.json` (its `.tflite` beside it):
    the wheel's package data if installed so, else `models/` of the clone this package
    is imported from. Raises ModelFileError if neither has it."""
    packaged = resources.files("emoji_fer") / "models" / f"{SHIPPED_NAME}.json"
    if packaged.is_file():
        return Path(str(packaged))  # an installed wheel is unpacked on disk: a real path
    clone = Path(__file__).resolve().parent.parent / "models" / f"{SHIPPED_NAME}.json"
    if clone.is_file():
        return clone
    raise ModelFileError(f"the shipped model is missing: neither {packaged} nor {clone} exists "
                         "(reinstall the package)")


def keras_path(model_path):
    """The Keras file of a model named by any of its files: x.json -> x.keras (not checked)."""
    return Path(model_path).with_suffix(".keras")


class ModelFileError(FileNotFoundError):
    """A model or its metadata file is missing or unreadable."""


def metadata_path(model_path):
    """The JSON of a model named by any of its files: models/x.keras -> models/x.json
    (a Path; not checked)."""
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
