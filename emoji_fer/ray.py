"""Batch inference on a Ray cluster: many images, or the frames of many videos, through
Ray Data's `map_batches`, one Predictor per actor.

`pip install 'emoji-fer[ray]'` adds Ray. The story, top down:

1. **rows in**: a Ray Dataset of work items. `predict_paths` makes one row per path
   (only the path travels: each actor reads its files, so the object store carries
   strings, not pixels); `read_video_frames` decodes videos into one row per sampled
   frame; `ray.data.read_images` (or `read_videos`, which needs the decord package)
   gives rows of decoded images from any storage Ray reads.
2. **one model per actor**: `BatchPredictor` loads the model and the face detector once,
   in its `__init__`, and Ray Data keeps `workers` such actors for the whole dataset.
3. **a batch per call**: each call takes up to `batch_size` rows and runs
   `Predictor.predict_batch` on them: faces of all its images go through the model together.
4. **rows out**: the CLI's JSON entry per image (`schema_version`, `path`, `faces`,
   `whole_image`, `message`, `error`); a video frame's also has `sample` and `time_s`.

    from emoji_fer.ray import predict_paths
    for entry in predict_paths(["a.jpg", "b.jpg"], address="ray://head:10001"):
        print(entry["path"], entry["faces"])

Every node reads the paths and the model by the same names: a shared or copied folder.
"""

try:
    import ray
except ImportError as err:
    raise ImportError(f"emoji_fer.ray needs Ray: pip install 'emoji-fer[ray]' ({err})") from err

import contextlib
import json

import numpy as np

from emoji_fer.detect import DEFAULT_DETECTOR
from emoji_fer.model_files import read_metadata, resolve_model
from emoji_fer.predictor import Predictor
from emoji_fer.video import DEFAULT_FPS, iter_frames, probe

# Images per map_batches call: enough that a call's overhead (a task, its arguments) is
# small beside detecting the faces in them, few enough that the decoded frames of one
# batch stay small in an actor's memory.
BATCH_SIZE = 32
# The threads of one Predictor's LiteRT interpreter: a machine's cores, at most this many
# (emoji_fer.runtime.LiteRTClassifier).
LITERT_THREADS = 4
# What a row gets from its image's result. Arrow has no type for `faces`, whose dicts
# differ (keypoints only from some detectors), so the Dataset carries them as JSON text.
RESULT_COLUMNS = ("schema_version", "faces_json", "whole_image", "message", "error")


class BatchPredictor:
    """The callable class for `Dataset.map_batches`: one Predictor per actor.

    Ray Data constructs it once in each actor (`fn_constructor_kwargs` are these
    arguments), so the model and the detector load once per actor, not per batch.
    model: a shipped model's name or a model's file (see Predictor), the same on every
    node; detector: as in Predictor, None to classify every image as one face crop;
    top_k: labels in each face's `top`; column: the column holding the images, each a
    path (str) or an (H, W, 3) uint8 RGB array.
    Raises ModelFileError (in the actor) if the model is missing there.
    """

    def __init__(self, model=None, detector=DEFAULT_DETECTOR, top_k=3, column="path"):
        self.predictor = Predictor(model, detector=detector)
        self.predictor.detector  # built now, so the first batch is no slower than the rest
        self.detect = detector is not None
        self.top_k = top_k
        self.column = column

    def __call__(self, batch):
        """batch: {column: (B,) array} in Ray's "numpy" format. Returns the batch without
        the image column when that holds pixels (a column of paths stays), plus
        RESULT_COLUMNS: schema_version (B,) int, faces_json (B,) str (a JSON list of
        `predict`'s faces), whole_image (B,) bool, message and error (B,) str or None.
        An image that cannot be read gets its `error` and no faces; the others go on."""
        images = batch[self.column]
        if images.ndim > 1 or any(isinstance(image, np.ndarray) for image in images):
            # Pixels: (B, H, W, 3), or B arrays for images of mixed sizes. They end here:
            # carried on, they would only fill the object store.
            batch = {name: values for name, values in batch.items() if name != self.column}
            images = list(images)
        else:
            images = [str(path) for path in images]
        results = self.predictor.predict_batch(images, detect=self.detect, top_k=self.top_k)
        out = dict(batch)
        out["schema_version"] = np.array([r["schema_version"] for r in results], np.int64)
        out["faces_json"] = np.array([json.dumps(r["faces"]) for r in results], object)
        out["whole_image"] = np.array([r["whole_image"] for r in results], bool)
        out["message"] = np.array([r["message"] for r in results], object)
        out["error"] = np.array([r["error"] for r in results], object)
        return out


def predict_dataset(ds, column="path", workers=None, batch_size=BATCH_SIZE, model=None,
                    detector=DEFAULT_DETECTOR, top_k=3):
    """Classify the faces of every row of a Ray Dataset, lazily.

    ds: a ray.data.Dataset whose `column` holds the images: paths (str) that every node
    can read, or (H, W, 3) uint8 RGB arrays (column="image" for `ray.data.read_images(...,
    mode="RGB")`, "frame" for `read_videos`). workers: actors, each with its own
    Predictor (default: on each node, one per LITERT_THREADS cores, at least one: one
    actor's LiteRT already runs that many threads). batch_size: rows per call.
    model, detector, top_k: as in BatchPredictor.
    Returns a Dataset with the other columns of `ds` (the path column too) and
    RESULT_COLUMNS (see BatchPredictor.__call__; `entry` turns a row into the CLI's
    entry). Nothing runs until it is consumed (iter_rows, write_json, ...); then a row
    whose image cannot be read carries the `error`, and a model missing on a node raises
    there. Raises ModelFileError here if the model is not found on this machine.
    """
    read_metadata(resolve_model(model))  # a mistyped model fails now, not in every actor
    if not ray.is_initialized():
        ray.init()  # what Ray Data itself would do on first use
    node_cpus = [max(1, int(node["Resources"]["CPU"])) for node in ray.nodes()
                 if node["Alive"] and node["Resources"].get("CPU")] or [1]
    # One actor per LITERT_THREADS cores of each node: more would only share the cores.
    # Ray Data spreads the actors over the nodes.
    workers = workers or sum(max(1, cpus // min(cpus, LITERT_THREADS)) for cpus in node_cpus)
    # Each actor asks for one CPU, unless the actors would then leave no node a whole CPU
    # for the tasks that feed them (reading files, decoding videos), which could never
    # be scheduled: the dataset would wait forever. So they ask for at most the CPUs less
    # one per node; whatever their placement, some node keeps a whole CPU free.
    return ds.map_batches(BatchPredictor, batch_size=batch_size, batch_format="numpy",
                          compute=ray.data.ActorPoolStrategy(size=workers),
                          num_cpus=min(1.0, (sum(node_cpus) - len(node_cpus)) / workers),
                          fn_constructor_kwargs={"model": model, "detector": detector, "top_k": top_k,
                                                 "column": column})


def entry(row):
    """A row of `predict_dataset`'s Dataset -> the CLI's JSON entry: {"schema_version",
    "path" (when the row has one), the row's other columns (a video frame's "sample" and
    "time_s"), "faces" (a list of `predict`'s face dicts), "whole_image", "message",
    "error"}; row values are made plain Python (int, float, bool, str, None)."""
    row = {name: value.item() if isinstance(value, np.generic) else value for name, value in row.items()}
    out = {"schema_version": row.pop("schema_version")}
    if "path" in row:
        out["path"] = row.pop("path")
    result = {name: row.pop(name) for name in RESULT_COLUMNS[1:]}
    return {**out, **row, "faces": json.loads(result["faces_json"]), "whole_image": result["whole_image"],
            "message": result["message"], "error": result["error"]}


@contextlib.contextmanager
def connected(address=None):
    """Ray, connected for the `with` block: the cluster this process already joined, else
    the one at `address` ("ray://host:10001", "host:6379" or "auto"), else a local one
    started here for the block (or the one $RAY_ADDRESS names). A connection made here is
    closed on leaving, and a local cluster started here stops with it. At an `address`
    where no cluster answers, ray.init keeps retrying for minutes before it raises."""
    if ray.is_initialized():
        yield
        return
    ray.init(address=address)
    try:
        yield
    finally:
        ray.shutdown()


def predict_paths(paths, address=None, workers=None, batch_size=BATCH_SIZE, model=None,
                  detector=DEFAULT_DETECTOR, top_k=3):
    """Classify the faces in image files on a Ray cluster, yielding the CLI's entries.

    paths: image files (str or Path) that every node of the cluster reads by that name.
    address: the cluster (see `connected`; default: a local one). workers, batch_size,
    model, detector, top_k: as in `predict_dataset`.
    Yields one entry per path, in the order of `paths`, as soon as it and the ones
    before it are done: {"schema_version": 1, "path", "faces", "whole_image", "message",
    "error"}, what `emoji-fer predict` prints; an unreadable file gets its `error`.
    Raises ModelFileError for a model not found (on the first next()).
    """
    paths = [str(path) for path in paths]
    if not paths:
        return
    with connected(address):
        items = ray.data.from_items([{"index": i, "path": path} for i, path in enumerate(paths)])
        done, pending = 0, {}
        # Ray Data hands rows back as the actors finish them; they are yielded in input order.
        for row in predict_dataset(items, "path", workers, batch_size, model, detector, top_k).iter_rows():
            row = dict(row)
            pending[row.pop("index")] = row
            while done in pending:
                yield entry(pending.pop(done))
                done += 1


def read_video_frames(paths, fps=DEFAULT_FPS, frames_per_block=BATCH_SIZE):
    """A Ray Dataset of the frames of videos, sampled as `emoji-fer video` samples them.

    paths: video files (MP4, MOV, WebM, MKV, AVI) that every node reads by that name;
    fps: samples per second (Hz, up to emoji_fer.video.MAX_FPS); frames_per_block: rows
    per block as the decoding task hands them on (about one batch of the actors').
    Returns a Dataset (lazy: each video is decoded by one task, as the actors ask for
    frames) of rows {"path": str, "sample": int (0, 1, ... within its video), "time_s":
    float (the frame's timestamp in s), "image": (H, W, 3) uint8 RGB}.
    Raises VideoError here for a missing, non-video or undecodable file.
    """
    paths = [str(path) for path in paths]
    infos = [probe(path) for path in paths]  # a bad file fails now, with the video module's message
    ds = ray.data.from_items([{"path": path} for path in paths]).flat_map(_frames, fn_kwargs={"fps": fps})
    # A video's frames leave its one decoding task in blocks of at most this many bytes:
    # small blocks let every actor take a share of the same video.
    ds.context.target_max_block_size = frames_per_block * max(info.width * info.height * 3 for info in infos)
    return ds


def _frames(row, fps):
    for sample, (t, rgb, _) in enumerate(iter_frames(row["path"], fps)):
        yield {"path": row["path"], "sample": sample, "time_s": t, "image": rgb}


def predict_video_frames(paths, fps=DEFAULT_FPS, address=None, workers=None, batch_size=BATCH_SIZE, model=None,
                         detector=DEFAULT_DETECTOR, top_k=3):
    """Classify the faces in the sampled frames of videos on a Ray cluster.

    paths, fps: as in `read_video_frames`; address, workers, batch_size, model,
    detector, top_k: as in `predict_paths`. The decoded frames travel from the task
    that decodes a video to the actors through Ray's object store.
    Returns a list of rows, one per sampled frame, by video (in the order of `paths`)
    and time: {"schema_version": 1, "path", "sample", "time_s", "faces", "whole_image",
    "message", "error"}, `faces` as `Predictor.predict_rgb` gives them for that frame.
    Raises VideoError for an unusable video, ModelFileError for a model not found.
    """
    order = {str(path): i for i, path in enumerate(paths)}
    with connected(address):
        frames = read_video_frames(paths, fps, frames_per_block=batch_size)
        ds = predict_dataset(frames, "image", workers, batch_size, model, detector, top_k)
        rows = [entry(row) for row in ds.iter_rows()]
    return sorted(rows, key=lambda row: (order[row["path"]], row["sample"]))
