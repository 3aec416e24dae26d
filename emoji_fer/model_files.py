"""Where models live and how their JSON metadata is read and written.

A model is files side by side, named by any one of them: `<name>.json` (labels, emoji,
preprocessing, training recipe, metrics), `<name>.tflite` (the LiteRT export the
Predictor serves) and, where training left it, `<name>.keras` (Keras 3 format, needed
only to train, export or run in Keras). Every consumer takes the preprocessing from the
JSON, never from its own copy.

The shipped models, each loadable by name (`Predictor("emoji_fer_fer2013")`, `--model
emoji_fer_fer2013`): `emoji_fer`, the default, trained on the FER+ crowd votes (its scores
estimate the share of people who would pick each expression), and `emoji_fer_fer2013`,
trained on FER-2013's single labels, for users who need that behaviour. In an installed
wheel their `.json` and `.tflite` are package data (`emoji_fer/models/`, found through
importlib.resources); in a clone of the repository (an editable install, or run from the
source tree) they are in `models/`, beside the `.keras` files.
"""

import hashlib
import json
import os
from importlib import resources
from pathlib import Path

SHIPPED_NAME = "emoji_fer"
SHIPPED_MODELS = (SHIPPED_NAME, "emoji_fer_fer2013")  # the default first


def shipped_model(name=SHIPPED_NAME):
    """Path of a shipped model's metadata, `<name>.json` (its `.tflite` beside it; name in
    SHIPPED_MODELS): the wheel's package data if installed so, else `models/` of the clone
    this package is imported from. Raises ModelFileError if neither has it."""
    if name not in SHIPPED_MODELS:
        raise ModelFileError(f"no shipped model is named {name!r}; the shipped models are "
                             f"{', '.join(SHIPPED_MODELS)} (or give a path to a model's .json)")
    packaged = resources.files("emoji_fer") / "models" / f"{name}.json"
    if packaged.is_file():
        return Path(str(packaged))  # an installed wheel is unpacked on disk: a real path
    clone = Path(__file__).resolve().parent.parent / "models" / f"{name}.json"
    if clone.is_file():
        return clone
    raise ModelFileError(f"the shipped model is missing: neither {packaged} nor {clone} exists "
                         "(reinstall the package)")


def resolve_model(model):
    """The path of a model given by path or by shipped name (SHIPPED_MODELS), or None for
    the default ($EMOJI_FER_MODEL, else the shipped default). A file of that name in the
    working directory wins over a name (a folder does not: in a clone, `emoji_fer` is also
    the package's). Raises ModelFileError for an unknown name."""
    model = model or os.environ.get("EMOJI_FER_MODEL")
    if not model:
        return shipped_model()
    if str(model) in SHIPPED_MODELS and not Path(model).is_file():
        return shipped_model(str(model))
    return Path(model)


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
