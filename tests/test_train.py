"""Training smoke test: a few hundred images, interrupted after its first epoch, then
--resume continues from the per-epoch backup and finishes with model + metadata."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.conftest import ROOT, run_module

pytestmark = pytest.mark.slow  # training runs, a few epochs each

ARGS = ["--epochs", "3", "--limit", "256", "--batch-size", "64", "--widths", "8", "16", "16", "16"]


def read_epochs(log):
    if not log.exists():
        return []
    with open(log) as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_train_interrupt_and_resume(fer_dir, tmp_path):
    work, out = tmp_path / "work", tmp_path / "models"
    cmd = ["train", "--data-dir", str(fer_dir), "--name", "tiny", "--work-dir", str(work),
           "--out-dir", str(out), *ARGS, "--swa-epochs", "2"]
    log = work / "tiny" / "log.csv"

    proc = subprocess.Popen([sys.executable, "-m", *cmd], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not read_epochs(log) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)  # as hard as a session ending
    proc.wait()
    assert read_epochs(log) and read_epochs(log)[0] == 0, "first epoch did not finish"
    done = read_epochs(log)
    if len(done) == 3:
        pytest.skip("the run finished before it could be interrupted")

    refused = run_module(*cmd)
    assert refused.returncode != 0 and "--resume" in refused.stderr

    # Resumed in float32, as on a CPU without bf16 units: the JSON says which epochs ran how.
    resumed = run_module(*cmd, "--resume", "--no-bf16")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert read_epochs(log) == [0, 1, 2]  # no epoch repeated, none lost
    metadata = json.loads((out / "tiny.json").read_text())
    assert metadata["training"]["epochs_run"] == 3
    assert metadata["training"]["precision"] == [
        {"epochs": f"1-{len(done)}", "policy": "mixed_bfloat16"},
        {"epochs": f"{len(done) + 1}-3", "policy": "float32"}]
    from train.card import render
    assert f"precision mixed_bfloat16 in epochs 1-{len(done)}, float32 in epochs" in render(metadata)
    # SWA over the last 2 epochs: their weights were saved on both sides of the interruption.
    assert metadata["training"]["weights"].startswith("SWA: mean of epochs 2-3")
    assert sorted(p.name for p in (work / "tiny" / "snapshots").iterdir()) == [
        "sum_from_epoch002.npz", "sum_from_epoch003.npz"]  # the tails of 2 and 1 epochs
    assert metadata["preprocessing"]["input_size"] == 48
    assert set(metadata["metrics"]) == {"PublicTest", "PrivateTest"}
    assert metadata["metrics"]["PrivateTest"]["n"] == 3589
    assert (out / "tiny.keras").stat().st_size > 0
    assert (out / "tiny_confusion.png").exists() and (out / "tiny_curves.png").exists()
    assert metadata["litert"]["file"] == "tiny.tflite"  # the trained model is served by LiteRT
    from emoji_fer.predictor import Predictor
    assert Predictor(out / "tiny.keras", detector=None).runtime == "litert"

    # Choosing the window afterwards: the 2-epoch window is the one training shipped, so its
    # row must match the accuracies training wrote into the JSON; longer than saved is refused.
    windows = run_module("train.research.swa_windows", str(out / "tiny.keras"), "--windows", "1", "2")
    assert windows.returncode == 0, windows.stderr[-2000:]
    row = next(line for line in windows.stdout.splitlines() if line.startswith("| 2"))
    cells = [float(c.strip(" %")) / 100 for c in row.split("|")[3:-1]]
    from emoji_fer.inference import TTA_MODES
    claimed = metadata["keras_accuracy_by_tta"]
    assert cells == pytest.approx([claimed[s][t] for s in ("PublicTest", "PrivateTest")
                                   for t in TTA_MODES], abs=0.0015)
    too_long = run_module("train.research.swa_windows", str(out / "tiny.keras"), "--windows", "3")
    assert too_long.returncode == 2 and "--swa-epochs" in too_long.stderr


def tiny_bn_model():
    import keras

    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Conv2D(3, 3, name="conv")(inputs)
    return keras.Model(inputs, keras.layers.BatchNormalization(name="bn")(x))


def test_swa_tail_sums_average_each_window_once_per_epoch(tmp_path):
    """Epochs 1-4 of a 4-epoch run with --swa-epochs 4 (windows 4, 3, 2, 1): each window's
    mean is the mean of its epochs' weights, a repeated epoch (a resume) is not added twice,
    and a window that was not kept, not finished or of another network is refused."""
    import keras
    from train.swa import TailSums, average_tail, tail_lengths

    assert tail_lengths(84) == [84, 63, 42, 21] and tail_lengths(2) == [2, 1]
    model = tiny_bn_model()
    ones = [np.ones(w.shape, np.float32) for w in model.get_weights()]
    sums = TailSums(tmp_path, epochs=4, swa_epochs=4)
    sums.set_model(model)
    for epoch in range(4):  # the weights after epoch e (1-based) are all e
        model.set_weights([w * (epoch + 1) for w in ones])
        sums.on_epoch_end(epoch)
        if epoch == 2:
            model.set_weights([w * 100 for w in ones])  # epoch 3 again, after a resume
            sums.on_epoch_end(epoch)
    for first, mean in ((1, 2.5), (2, 3.0), (3, 3.5), (4, 4.0)):
        average_tail(model, tmp_path, first, 4)
        for w in model.get_weights():
            np.testing.assert_allclose(w, mean)
    with pytest.raises(ValueError, match="holds 2 epochs up to 4, not epochs 3-5"):
        average_tail(model, tmp_path, 3, 5)
    with pytest.raises(FileNotFoundError, match="from epoch 5.*sum_from_epoch001.npz"):
        average_tail(model, tmp_path, 5, 5)
    other = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(5, 3)])
    with pytest.raises(ValueError, match="does not fit"):
        average_tail(other, tmp_path, 1, 4)
    assert not list(tmp_path.glob("*.tmp"))


def test_swa_reestimates_batchnorm_over_all_faces():
    """After re-estimation the moving statistics are those of the whole set of faces (the
    mean of equal-size batch statistics), whatever they were before; momentum is restored."""
    from train.swa import reestimate_batchnorm

    model = tiny_bn_model()
    faces = np.random.default_rng(0).random((512, 4, 4, 1), dtype=np.float32) * 3 + 1
    reestimate_batchnorm(model, faces, batch_size=64)
    bn = model.get_layer("bn")
    conv = model.get_layer("conv")(faces).numpy().reshape(-1, 3)
    np.testing.assert_allclose(bn.moving_mean.numpy(), conv.mean(axis=0), rtol=1e-4)
    # The mean of the batch variances: the variance of all faces, up to how they were batched.
    np.testing.assert_allclose(bn.moving_variance.numpy(), conv.var(axis=0), rtol=0.05)
    assert bn.momentum == 0.99


def test_cutmix_mixes_faces_and_targets_by_area():
    """--cutmix: batches keep their shapes and float32 dtype under mixed_bfloat16, targets stay
    probability distributions, and most faces get a patch of another face (mixed targets)."""
    import keras

    from train.distill import soft_targets
    from train.train import make_dataset

    # Reset the global seeds: the draws in the tf.data map otherwise depend on what ran
    # earlier in the process (one full-suite run mixed only 12 of 32 faces of a batch).
    keras.utils.set_random_seed(0)
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        faces = np.random.default_rng(0).integers(0, 256, (64, 48, 48), dtype=np.uint8)
        labels = np.arange(64) % 7
        ds = make_dataset(faces, soft_targets(labels), 32, training=True, weights=np.ones(64, np.float32),
                          cutmix=1.0)
        batches = [batch for _ in range(4) for batch in ds]
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert len(batches) == 8
    for images, targets, weights in batches:
        assert images.shape == (32, 48, 48, 1) and images.dtype == "float32" and weights.shape == (32,)
        np.testing.assert_allclose(targets.numpy().sum(1), 1.0, rtol=1e-5)
    mixed = np.concatenate([(targets.numpy().max(1) < 1) for _, targets, _ in batches])
    assert mixed.mean() > 0.3


def test_distillation_mixes_teacher_probabilities_into_the_targets():
    from train.distill import soft_targets

    labels = np.array([0, 3, 6])
    teacher = np.full((3, 7), 1 / 7, np.float32)
    targets = soft_targets(labels, teacher, 0.25)
    np.testing.assert_allclose(targets.sum(1), 1.0, rtol=1e-6)
    assert targets[1, 3] == pytest.approx(0.75 + 0.25 / 7) and targets[1, 0] == pytest.approx(0.25 / 7)
    np.testing.assert_array_equal(soft_targets(labels), np.eye(7)[labels])
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        soft_targets(labels, teacher, 1.5)


def test_train_with_a_teacher(fer_dir, tmp_path):
    from convert import SHIPPED_KERAS

    proc = run_module("train", "--data-dir", str(fer_dir), "--name", "pupil", "--work-dir", str(tmp_path / "work"),
                      "--out-dir", str(tmp_path / "models"), *ARGS[:1], "1", *ARGS[2:],
                      "--teacher", str(SHIPPED_KERAS), "--distill-weight", "0.5")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "distilling from" in proc.stdout
    metadata = json.loads((tmp_path / "models" / "pupil.json").read_text())
    assert metadata["teachers"][0]["file"] == SHIPPED_KERAS.name
    assert metadata["recipe"]["distill_weight"] == 0.5


def test_fine_tune_from_a_trained_model(fer_dir, tmp_path):
    from convert import SHIPPED_KERAS
    from emoji_fer.model_files import read_metadata, sha256
    from train.card import render

    # Start from a copy at the very path the run writes: the JSON must still describe the
    # weights it started from, not the file that replaced them.
    start = tmp_path / "models" / "tuned.keras"
    start.parent.mkdir()
    shutil.copy(SHIPPED_KERAS, start)
    shutil.copy(SHIPPED_KERAS.with_suffix(".json"), start.with_suffix(".json"))
    shipped = ["--widths", "32", "80", "160", "320"]  # the shipped model's architecture
    proc = run_module("train", "--data-dir", str(fer_dir), "--name", "tuned", "--work-dir", str(tmp_path / "work"),
                      "--out-dir", str(tmp_path / "models"), "--epochs", "1", "--limit", "128", "--lr", "0",
                      "--warmup-epochs", "0", *shipped, "--init", str(start), "--head", "gdconv")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "new layers (initial weights): ['gdconv']; trained layers not used: none" in proc.stdout
    metadata = json.loads((tmp_path / "models" / "tuned.json").read_text())
    # learning rate 0: the weights stay the shipped ones (batch-norm statistics move a
    # little) and the new GDConv head starts as the global average pooling it replaces
    assert metadata["metrics"]["PrivateTest"]["accuracy"] > 0.6
    # the stage it started from, as that model's own JSON describes it
    assert metadata["init"]["sha256"] == sha256(SHIPPED_KERAS) != sha256(start)
    assert metadata["init"]["recipe"] == read_metadata(SHIPPED_KERAS)["recipe"]
    card = render(metadata)
    assert f"started from the weights of `tuned.keras` (SHA-256 {sha256(SHIPPED_KERAS)[:12]}" in card
    assert "all stages together" in card
    assert "global depthwise conv (MobileFaceNets" in card
    wrong = run_module("train", "--data-dir", str(fer_dir), "--name", "wrong", "--work-dir", str(tmp_path / "work"),
                       "--out-dir", str(tmp_path / "models"), *ARGS, "--init", str(SHIPPED_KERAS))
    assert wrong.returncode != 0 and "architecture" in wrong.stderr and "Traceback" not in wrong.stderr


def test_gdconv_head_starts_as_global_average_pooling():
    from train.__main__ import HEADS as CLI_HEADS
    from train.card import HEAD_NAMES
    from train.model import HEADS, build_model

    assert CLI_HEADS == HEADS == tuple(HEAD_NAMES)
    gap = build_model(stem=8, widths=(8, 16), head="gap")
    gdconv = build_model(stem=8, widths=(8, 16), head="gdconv")
    for layer in gap.layers:
        if layer.weights:
            gdconv.get_layer(layer.name).set_weights(layer.get_weights())
    faces = np.random.default_rng(0).random((4, 48, 48, 1), dtype=np.float32)
    np.testing.assert_allclose(gdconv.predict(faces, verbose=0), gap.predict(faces, verbose=0), atol=1e-6)
    assert gdconv.count_params() == gap.count_params() + 12 * 12 * 16  # one weight per position and channel
    with pytest.raises(ValueError, match="head must be one of"):
        build_model(head="gmp")


def test_training_builds_the_model_for_the_preprocessing_input_size():
    """train.py takes the input size from PREPROCESSING (what every consumer crops), not
    from build_model's default, and refuses a model of another shape."""
    from argparse import Namespace

    from emoji_fer.preprocessing import PREPROCESSING
    from train.model import build_model
    from train.train import check_input_shape, model_from_args

    size = PREPROCESSING["input_size"]
    model = model_from_args(Namespace(widths=[8, 8, 16], dropout=0.3, head="gap"))
    assert model.input_shape == (None, size, size, PREPROCESSING["channels"])
    with pytest.raises(ValueError, match="PREPROCESSING makes"):
        check_input_shape(build_model(stem=8, widths=(8, 16), input_size=size + 16))


def test_train_reports_a_missing_teacher(fer_dir, tmp_path):
    proc = run_module("train", "--data-dir", str(fer_dir), "--work-dir", str(tmp_path), "--out-dir", str(tmp_path),
                      *ARGS, "--teacher", str(tmp_path / "nope.keras"))
    assert proc.returncode == 2 and "nope.keras" in proc.stderr and "Traceback" not in proc.stderr


def test_train_reports_a_missing_dataset(tmp_path):
    result = run_module("train", "--data-dir", str(tmp_path / "missing"), "--work-dir", str(tmp_path))
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Training_<id>.jpg" in result.stderr


def test_precision_history_merges_resumes_under_one_policy(tmp_path):
    from train.train import precision_by_epochs

    path = tmp_path / "precision.csv"
    assert precision_by_epochs(path, 10) == []
    path.write_text("first_epoch,policy\n1,mixed_bfloat16\n40,mixed_bfloat16\n83,float32\n98,float32\n")
    assert precision_by_epochs(path, 200) == [{"epochs": "1-82", "policy": "mixed_bfloat16"},
                                              {"epochs": "83-200", "policy": "float32"}]


def test_card_names_the_precision_of_a_run_under_one_policy():
    from train.card import precision

    one = {"training": {"precision": [{"epochs": "1-300", "policy": "mixed_bfloat16"}]}, "recipe": {"bf16": True}}
    assert precision(one) == "precision mixed_bfloat16 in all epochs"
    unrecorded = {"training": {}, "recipe": {"bf16": False}}
    assert precision(unrecorded) == "precision float32"


def test_a_resumed_run_does_not_replay_the_batches_of_epoch_1(tmp_path):
    import keras
    from train.train import make_dataset, stream_seed

    faces = np.random.default_rng(0).integers(0, 256, (128, 48, 48), dtype=np.uint8)
    targets, face_ids = np.eye(7, dtype="float32")[np.arange(128) % 7], np.arange(128, dtype="float32")

    def first_batch(seed):
        """Which faces come first: the sample weights pass through the pipeline untouched."""
        keras.utils.set_random_seed(seed)  # as a new process does
        return next(iter(make_dataset(faces, targets, 32, training=True, seed=seed, weights=face_ids)))[2].numpy()

    work = tmp_path / "run"
    work.mkdir()
    assert stream_seed(5, work) == 5  # a new run: the seed it was given
    epoch_1 = first_batch(stream_seed(5, work))
    assert np.array_equal(first_batch(5), epoch_1)  # why the seed must change on resume
    (work / "log.csv").write_text("epoch,accuracy\n0,0.3\n1,0.4\n")
    assert not np.array_equal(first_batch(stream_seed(5, work)), epoch_1)


def test_cpu_bf16_units_are_read_off_cpuinfo_flags(tmp_path):
    """The training CLI warns before emulating bfloat16 on a CPU without bf16 units."""
    from train.train import cpu_has_bf16
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 fma avx512f\n")
    assert cpu_has_bf16(info) is False
    info.write_text("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16 amx_tile\n")
    assert cpu_has_bf16(info) is True
    assert cpu_has_bf16(tmp_path / "missing") is None


def test_ensemble_accuracy_is_of_the_mean_probabilities():
    from train.research.ensemble import accuracies

    labels = np.array([0, 1, 2])
    # Each model gets a different face wrong by a small margin; their mean gets all three right.
    a = np.array([[0.6, 0.4, 0, 0, 0, 0, 0], [0, 1.0, 0, 0, 0, 0, 0], [0, 0, 0.45, 0.55, 0, 0, 0]])
    b = np.array([[0.45, 0.55, 0, 0, 0, 0, 0], [0, 1.0, 0, 0, 0, 0, 0], [0, 0, 0.9, 0.1, 0, 0, 0]])
    report = accuracies(labels, [a, b])
    assert report["models"] == [pytest.approx(2 / 3), pytest.approx(2 / 3)]
    assert report["ensemble"] == 1.0


def test_ensemble_cli_runs_each_model_as_served(fer_dir, tmp_path):
    from convert import SHIPPED_KERAS
    from emoji_fer.model_files import read_metadata

    # The shipped model twice: its row and the ensemble must both equal the PublicTest
    # accuracy its JSON records as served (Predictor, LiteRT, its TTA).
    proc = run_module("train.research.ensemble", str(SHIPPED_KERAS), str(SHIPPED_KERAS),
                      "--data-dir", str(fer_dir), "--splits", "PublicTest")
    assert proc.returncode == 0, proc.stderr[-2000:]
    served = f"{read_metadata(SHIPPED_KERAS)['metrics']['PublicTest']['accuracy']:.2%}"
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ") and "%" in line]
    assert [row.split("|")[3].strip() for row in rows] == [served] * 3
    assert f"litert, TTA {read_metadata(SHIPPED_KERAS)['inference']['tta']}" in rows[0]
    missing = run_module("train.research.ensemble", str(tmp_path / "nope.keras"), "--data-dir", str(fer_dir))
    assert missing.returncode == 2 and "nope.keras" in missing.stderr and "Traceback" not in missing.stderr


def test_two_local_workers_train_together(fer_dir, tmp_path):
    # --strategy multiworker: two CPU worker processes on localhost ($TF_CONFIG), one
    # synchronous model; only the chief (worker 0) writes the model and its metadata.
    from tests.conftest import free_port

    workers = [f"localhost:{free_port()}" for _ in range(2)]
    cmd = [sys.executable, "-m", "train", "--data-dir", str(fer_dir), "--name", "duo", "--work-dir",
           str(tmp_path / "work"), "--out-dir", str(tmp_path / "models"), "--strategy", "multiworker",
           "--epochs", "1", "--limit", "256", "--batch-size", "64", "--widths", "8", "16", "16", "16"]
    procs = []
    for index in range(2):
        tf_config = json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})
        env = {**os.environ, "TF_CONFIG": tf_config, "TF_CPP_MIN_LOG_LEVEL": "2"}
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True))
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    for p, out in zip(procs, outputs):
        assert p.returncode == 0, out[-3000:]
    assert "on 2 replica(s), strategy multiworker" in outputs[0]
    metadata = json.loads((tmp_path / "models" / "duo.json").read_text())
    assert metadata["recipe"]["strategy"] == "multiworker"
    assert metadata["training"]["epochs_run"] == 1
    assert not (tmp_path / "models" / "duo.worker1.json").exists()
    assert not (tmp_path / "work" / "duo.worker1").exists(), "worker 1 cleans up after itself"


def test_train_on_ferplus_votes_with_a_temperature(fer_dir, tmp_path):
    """A short soft-label run (--labels ferplus, probability mode: a label drawn from the votes
    each epoch) that fits a temperature: the JSON holds FER+'s figures as served, the fitted
    temperature lowered the cross-entropy against the votes, and the card leads with FER+."""
    from emoji_fer.model_files import read_metadata

    out = tmp_path / "models"
    proc = run_module("train", "--data-dir", str(fer_dir), "--name", "votes", "--work-dir", str(tmp_path / "work"),
                      "--out-dir", str(out), *ARGS, "--labels", "ferplus", "--ferplus-mode", "probability",
                      "--optimizer", "adamw", "--lr", "1e-3", "--temperature", "fit")
    assert proc.returncode == 0, proc.stderr[-2000:]
    metadata = read_metadata(out / "votes.json")
    assert metadata["recipe"]["labels"] == "ferplus" and metadata["recipe"]["ferplus_mode"] == "probability"
    public = metadata["ferplus"]["PublicTest"]
    assert public["n"] == 3194 and 0 <= public["protocol_accuracy"] <= 1 and 0 <= public["human_agreement"] <= 1
    assert metadata["ferplus"]["PrivateTest"]["n"] == 3137
    calibration = metadata["calibration"]
    assert 0.25 <= calibration["temperature"] <= 4
    assert calibration["cross_entropy_after"] <= calibration["cross_entropy_before"]
    from train.card import render
    assert render(metadata).split("## Metrics")[1].lstrip().startswith("FER+ as served")


@pytest.mark.parametrize("mode", ["majority", "crossentropy", "probability"])
def test_ferplus_training_faces_follow_the_mode(mode):
    """Each FER+ mode's Training faces and targets, on four hand-made faces: a clear happy
    majority, a contempt majority, a tie and a face FER+ dropped (NaN votes)."""
    from argparse import Namespace

    from emoji_fer.labels import LABELS
    from train.train import training_faces

    nan = [float("nan")] * 10
    #         neutral happiness surprise sadness anger disgust fear contempt unknown NF
    votes = np.array([[1, 8, 0, 1, 0, 0, 0, 0, 0, 0], [2, 0, 0, 0, 0, 0, 0, 8, 0, 0],
                      [5, 5, 0, 0, 0, 0, 0, 0, 0, 0], nan], np.float32)
    images = np.arange(4, dtype=np.uint8)[:, None, None] * np.ones((1, 48, 48), np.uint8)
    data = {"Training": (images, np.zeros(4, np.int64))}
    x, targets = training_faces(data, {"Training": votes}, Namespace(labels="ferplus", ferplus_mode=mode))
    happy, neutral = LABELS.index("happy"), LABELS.index("neutral")
    if mode == "majority":  # only the face with a seven-class majority, one-hot
        assert x[:, 0, 0].tolist() == [0]
        assert targets.tolist() == [np.eye(7)[happy].tolist()]
    else:  # every face with votes for the seven, single votes dropped
        assert x[:, 0, 0].tolist() == [0, 1, 2]
        assert targets[0, happy] == 1.0  # 8 of 8 after the single neutral and sad votes are dropped
        assert targets[1, neutral] == 1.0  # contempt is not a target; the 2 neutral votes are
        assert targets[2, happy] == targets[2, neutral] == 0.5
    np.testing.assert_allclose(targets.sum(axis=1), 1)


def test_probability_mode_draws_one_hot_labels_from_the_votes():
    """FER+'s probability mode: each face's target is one label drawn from its distribution."""
    import tensorflow as tf

    from train.train import draw_one_hot

    targets = tf.constant(np.tile([[0.0, 0.0, 0.0, 0.75, 0.0, 0.0, 0.25]], (4000, 1)), tf.float32)
    _, drawn = draw_one_hot(seed=0)(tf.zeros((4000, 1)), targets)
    drawn = drawn.numpy()
    assert set(drawn.sum(axis=1).tolist()) == {1.0} and drawn[:, [0, 1, 2, 4, 5]].sum() == 0
    assert abs(drawn[:, 3].mean() - 0.75) < 0.03
