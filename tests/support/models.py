"""A copy of the shipped model with changed figures: a candidate for train.promote."""

import json
import shutil

from emoji_fer.model_files import read_metadata


def copy_model(source, target, **changes):
    """Copy the shipped model to `target` (.keras, .tflite, .json) with JSON fields changed:
    `public_gain` moves PublicTest accuracy, on FER-2013's labels and FER+'s protocol alike,
    `agreement_gain` FER+'s human agreement (default: as `public_gain`); `ferplus=False`
    drops the FER+ figures."""
    shutil.copyfile(source, target)
    shutil.copyfile(source.with_name(read_metadata(source)["litert"]["file"]), target.with_suffix(".tflite"))
    metadata = read_metadata(source)
    metadata["name"], metadata["litert"]["file"] = target.stem, target.stem + ".tflite"
    metadata["recipe"].update(changes.get("recipe", {}))
    metadata["metrics"]["PublicTest"]["accuracy"] += changes.get("public_gain", 0)
    metadata["ferplus"]["PublicTest"]["protocol_accuracy"] += changes.get("public_gain", 0)
    metadata["ferplus"]["PublicTest"]["human_agreement"] += changes.get("agreement_gain", changes.get("public_gain", 0))
    if changes.get("ferplus") is False:
        del metadata["ferplus"]
    target.with_suffix(".json").write_text(json.dumps(metadata))
