"""FER+ crowd votes: the loader on both layouts (the folder with ferplus.csv,
fer2013.csv with FER+'s fer2013new.csv), the protocol's definitions against hand-computed
cases, `emoji-fer evaluate --labels ferplus` against `ferplus_report` computed here on
the same faces, and FER+'s published counts on the real data."""

import csv
import json
import math

import numpy as np
import pytest
from PIL import Image

from emoji_fer.fer2013 import DatasetError, load_fer2013, load_ferplus
from emoji_fer.ferplus import (CONTEMPT, DROPPED, FERPLUS_NAMES, VOTE_COLUMNS, ferplus_report, has_votes,
                               human_agreement, protocol_labels, vote_cross_entropy, vote_distribution, vote_entropy)
from emoji_fer.labels import LABELS
from emoji_fer.predictor import Predictor
from emoji_fer.preprocessing import scale
from tests.conftest import run_module
from tests.support.cli import error_line

FOLDERS = {"Training": "train", "PublicTest": "test", "PrivateTest": "test"}
L = {name: i for i, name in enumerate(LABELS)}  # label index by name


def votes(**counts):
    """(10,) vote counts in FER+'s column order (VOTE_COLUMNS) from {column: count}."""
    assert set(counts) <= set(VOTE_COLUMNS), counts
    return [float(counts.get(c, 0)) for c in VOTE_COLUMNS]


NAN = [math.nan] * len(VOTE_COLUMNS)  # a face FER+ dropped: no votes

# (split, folder class, id, votes or None for a face FER+ dropped). The ids are tagged into
# each image's first pixel, so that a loaded image tells which face it is. Ids 1 and 10
# of one class: "Training_10" sorts before "Training_2" as text.
FACES = [
    ("Training", "angry", 10, votes(anger=7, neutral=2, sadness=1)),
    ("Training", "angry", 2, votes(anger=3, fear=3, disgust=2, sadness=2)),
    ("Training", "happy", 1, votes(happiness=10)),
    ("Training", "neutral", 3, None),
    ("PublicTest", "sad", 4, votes(sadness=6, neutral=4)),
    ("PublicTest", "surprise", 5, votes(surprise=5, fear=5)),
    ("PublicTest", "angry", 6, votes(anger=9, NF=1)),
    ("PrivateTest", "neutral", 11, votes(neutral=4, happiness=1, surprise=1, sadness=1, anger=1, disgust=1,
                                         fear=1)),  # 4 of 4 kept votes: neutral
    ("PrivateTest", "happy", 12, votes(happiness=6, unknown=4)),  # kept: happy
    ("PrivateTest", "happy", 13, votes(happiness=5, NF=5)),  # not more than half: dropped
    ("PrivateTest", "neutral", 14, votes(contempt=8, neutral=2)),  # contempt: counted wrong
    ("PrivateTest", "sad", 15, votes(sadness=5, neutral=5)),  # a tie: dropped
    ("PrivateTest", "fear", 16, votes(fear=5, surprise=4, NF=1)),  # the single NF dropped: fear
    ("PrivateTest", "surprise", 17, votes(surprise=8, fear=2)),
    ("PrivateTest", "angry", 18, votes(anger=6, disgust=3, contempt=1)),
    ("PrivateTest", "sad", 19, None),
    ("PrivateTest", "disgust", 20, votes(unknown=7, disgust=3)),  # unknown's majority: dropped
]


def face(i):
    """A 48x48 uint8 synthetic face, a different pattern per id (so that the model's answers
    differ), with the id in its first pixel."""
    yy, xx = np.mgrid[:48, :48]
    kind = i % 4
    if kind == 0:
        img = np.random.default_rng(i).integers(0, 256, (48, 48))
    elif kind == 1:
        img = (xx * (3 + i % 5) + yy * i) % 256
    elif kind == 2:
        img = np.clip(255 - ((xx - 24) ** 2 + (yy - 24) ** 2) * (i % 7 + 1) / 4, 0, 255)
    else:
        img = 128 + 100 * np.sin(xx / (1 + i % 4)) * np.cos(yy / (2 + i % 3))
    img = img.astype(np.uint8)
    img[0, 0] = i
    return img


def rel_path(split, cls, i):
    return f"{FOLDERS[split]}/{cls}/{split}_{i}.png"


def cells(v):
    """A votes row as CSV cells: empty for a face FER+ dropped."""
    return [""] * len(VOTE_COLUMNS) if v is None else [f"{x:g}" for x in v]


def write_folder(root, faces=FACES, votes_file=None, leave_out=()):
    """The Kaggle folder layout of `faces` under root (48x48 grayscale PNGs) and their
    ferplus.csv (default: root/ferplus.csv), rows in reverse order (not the folder's), the
    faces with ids in `leave_out` without a row. Returns the votes file."""
    votes_file = votes_file or root / "ferplus.csv"
    for split, cls, i, _ in faces:
        (root / FOLDERS[split] / cls).mkdir(parents=True, exist_ok=True)
        Image.fromarray(face(i), "L").save(root / rel_path(split, cls, i))
    votes_file.parent.mkdir(parents=True, exist_ok=True)
    with open(votes_file, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "ferplus_image", "mean_abs_diff", *VOTE_COLUMNS])
        for split, cls, i, v in reversed(faces):
            if i not in leave_out:
                w.writerow([rel_path(split, cls, i), "" if v is None else f"fer{i:07d}.png",
                            "" if v is None else "1.3", *cells(v)])
    return votes_file


def write_csv_layout(folder, faces=FACES, usage_of=None, drop_row=None):
    """fer2013.csv of `faces` (in their order, splits interleaved) and FER+'s fer2013new.csv
    beside it, one row per row, a dropped face an empty Image name with FER+'s NF votes.
    usage_of: {id: Usage} written instead in fer2013new.csv; drop_row: an id without a row
    there. Returns fer2013.csv."""
    order = faces[::2] + faces[1::2]  # the splits interleaved, as in the original file
    fer = folder / "fer2013.csv"
    with open(fer, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["emotion", "pixels", "Usage"])
        for split, cls, i, _ in order:
            w.writerow([L[cls], " ".join(map(str, face(i).ravel())), split])
    with open(folder / "fer2013new.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Usage", "Image name", *VOTE_COLUMNS])
        for split, _, i, v in order:
            if i != drop_row:
                name, counts = ("", votes(NF=10)) if v is None else (f"fer{i:07d}.png", v)
                w.writerow([(usage_of or {}).get(i, split), name, *cells(counts)])
    return fer


def by_id(faces=FACES):
    return {i: (split, cls, v) for split, cls, i, v in faces}


def check_aligned(data, faces=FACES):
    """Every image's votes and label are those of its face (the id in its first pixel)."""
    spec = by_id(faces)
    for split, (images, labels, counts) in data.items():
        ids = [int(img[0, 0]) for img in images]
        assert sorted(ids) == sorted(i for s, _, i, _ in faces if s == split)
        for img, i, label, row in zip(images, ids, labels, counts):
            s, cls, v = spec[i]
            assert s == split and label == L[cls] and np.array_equal(img, face(i))
            np.testing.assert_array_equal(row, NAN if v is None else v)
    return {split: [int(img[0, 0]) for img in data[split][0]] for split in data}


@pytest.fixture
def no_votes_env(monkeypatch):
    monkeypatch.delenv("FERPLUS_VOTES", raising=False)


# --- the loader ---------------------------------------------------------------------------

def test_folder_layout_votes_follow_the_images(tmp_path, no_votes_env):
    write_folder(tmp_path)
    data = load_ferplus(tmp_path, cache=False)
    ids = check_aligned(data)
    # The order is load_fer2013's (class folders in LABELS order, file names sorted as text).
    plain = load_fer2013(tmp_path, cache=False)
    for split in data:
        assert np.array_equal(data[split][0], plain[split][0]) and np.array_equal(data[split][1], plain[split][1])
    assert ids["Training"] == [10, 2, 1, 3] and ids["PublicTest"] == [6, 4, 5]
    assert ids["PrivateTest"] == [18, 20, 16, 12, 13, 15, 19, 17, 11, 14]
    assert data["Training"][2].dtype == np.float32 and data["Training"][2].shape == (4, 10)
    assert np.isnan(data["PrivateTest"][2][ids["PrivateTest"].index(19)]).all()


def test_csv_layout_votes_follow_the_rows(tmp_path, no_votes_env):
    data = load_ferplus(write_csv_layout(tmp_path))
    ids = check_aligned(data)  # the dropped faces (empty Image name) are NaN despite their NF votes
    order = FACES[::2] + FACES[1::2]
    for split in data:  # in fer2013.csv's row order
        assert ids[split] == [i for s, _, i, _ in order if s == split]


def test_votes_file_from_argument_env_var_or_beside_the_data(tmp_path, monkeypatch, no_votes_env):
    root = tmp_path / "fer2013"
    elsewhere = write_folder(root, votes_file=tmp_path / "mine" / "votes.csv")
    with pytest.raises(DatasetError, match="No FER\\+ votes found"):
        load_ferplus(root, cache=False)
    check_aligned(load_ferplus(root, votes=elsewhere, splits=("PublicTest",), cache=False), FACES)
    monkeypatch.setenv("FERPLUS_VOTES", str(elsewhere))
    check_aligned(load_ferplus(root, splits=("PrivateTest",), cache=False))
    monkeypatch.delenv("FERPLUS_VOTES")
    write_folder(root, votes_file=tmp_path / "ferplus" / "ferplus.csv")  # DIR/../ferplus/, as in ../shared
    check_aligned(load_ferplus(root, splits=("Training",), cache=False))


def missing_file(tmp_path):
    write_folder(tmp_path / "fer", votes_file=tmp_path / "votes.csv")
    return tmp_path / "fer", tmp_path / "nope.csv"


def image_without_row(tmp_path):
    return tmp_path, write_folder(tmp_path, leave_out={12})


def not_numbers(tmp_path):
    file = write_folder(tmp_path)
    row = "test/happy/PrivateTest_12.png,fer0000012.png,1.3,0,6,"  # votes(happiness=6, unknown=4)
    assert file.read_text().count(row) == 1
    file.write_text(file.read_text().replace(row, row[:-2] + "six,"))
    return tmp_path, file


def row_count(tmp_path):
    return write_csv_layout(tmp_path, drop_row=16), None


def usage(tmp_path):
    return write_csv_layout(tmp_path, usage_of={16: "PublicTest"}), None


@pytest.mark.parametrize("case, message", [
    (missing_file, "nope.csv does not exist"),
    (image_without_row, "has no votes for test/happy/PrivateTest_12.png"),
    (not_numbers, "votes are not numbers"),
    (row_count, "has 16 rows, .* 17"),
    (usage, "Usage 'PublicTest', .* says 'PrivateTest'"),
])
def test_mismatched_votes_are_a_clear_error(case, message, tmp_path, no_votes_env):
    data, file = case(tmp_path)
    with pytest.raises(DatasetError, match=message):
        load_ferplus(data, votes=file, cache=False)


# --- the definitions, hand-computed -------------------------------------------------------

@pytest.mark.parametrize("counts, label", [
    (votes(neutral=4, happiness=1, surprise=1, sadness=1, anger=1, disgust=1, fear=1), L["neutral"]),  # 4 of 4
    (votes(anger=7, neutral=2, sadness=1), L["angry"]),  # 7 of 9
    (votes(fear=5, surprise=4, NF=1), L["fear"]),  # 5 of 9 once the single NF vote is gone
    (votes(happiness=6, unknown=4), L["happy"]),  # unknown counts in the total: 6 of 10
    (votes(happiness=5, NF=5), DROPPED),  # 5 of 10 is not more than half
    (votes(neutral=5, happiness=5), DROPPED),  # a tie
    (votes(unknown=8, neutral=2), DROPPED),  # unknown's majority
    (votes(NF=6, disgust=4), DROPPED),
    (votes(contempt=8, neutral=2), CONTEMPT),
    (votes(disgust=2, neutral=1, happiness=1, surprise=1, sadness=1, anger=1, fear=1, unknown=1, NF=1), L["disgust"]),
    (votes(happiness=1, NF=1), DROPPED),  # nothing left
    (NAN, DROPPED),
])
def test_protocol_label(counts, label):
    assert protocol_labels([counts]).tolist() == [label]


def test_protocol_labels_of_many_faces_keep_their_order():
    rows = [NAN if v is None else v for split, _, _, v in FACES if split == "PrivateTest"]  # ids 11..20
    expected = [L["neutral"], L["happy"], DROPPED, CONTEMPT, DROPPED, L["fear"], L["surprise"], L["angry"],
                DROPPED, DROPPED]
    labels = protocol_labels(rows)
    assert labels.tolist() == expected and labels.dtype == np.int64


def test_vote_distribution_drops_single_votes_for_training_only():
    rows = [votes(anger=7, neutral=2, sadness=1), votes(contempt=9, NF=1), votes(neutral=1, NF=9), NAN]
    kept, every = vote_distribution(rows), vote_distribution(rows, drop_single=False)
    expected_kept = np.zeros((4, 7))
    expected_kept[0, [L["angry"], L["neutral"]]] = [7 / 9, 2 / 9]
    np.testing.assert_allclose(kept, expected_kept, rtol=1e-6)
    expected_every = np.zeros((4, 7))
    expected_every[0, [L["angry"], L["sad"], L["neutral"]]] = [0.7, 0.1, 0.2]
    expected_every[2, L["neutral"]] = 1.0  # one vote, but a vote all the same
    np.testing.assert_allclose(every, expected_every, rtol=1e-6)
    assert has_votes(rows).tolist() == [True, False, False, False]
    assert has_votes(rows, drop_single=False).tolist() == [True, False, True, False]


def probs_for(predicted, top=0.4):
    """(N, 7) probabilities: `top` on each predicted label, the rest spread evenly (0.1 each)."""
    p = np.full((len(predicted), 7), (1 - top) / 6)
    p[np.arange(len(predicted)), predicted] = top
    return p


def test_human_agreement_on_three_faces():
    rows = [votes(anger=7, neutral=2, sadness=1),  # kept 7 + 2 expression votes
            votes(happiness=6, unknown=4),  # unknown is no expression: 6 of 6
            votes(neutral=5, happiness=5),  # dropped: not counted
            votes(contempt=8, neutral=2)]  # contempt is an expression: 2 of 10
    probs = probs_for([L["neutral"], L["happy"], L["happy"], L["neutral"]])
    assert human_agreement(rows, probs) == pytest.approx((2 / 9 + 1 + 2 / 10) / 3)
    probs = probs_for([L["angry"], L["surprise"], L["happy"], L["fear"]])
    assert human_agreement(rows, probs) == pytest.approx((7 / 9 + 0 + 0) / 3)


def test_cross_entropy_counts_every_vote_and_its_floor_is_the_vote_entropy():
    rows = [votes(anger=7, neutral=2, sadness=1), votes(neutral=1, NF=9), votes(contempt=8, fear=2),
            votes(NF=10), NAN]
    probs = probs_for([L["angry"], L["happy"], L["fear"], L["happy"], L["sad"]])
    ln4, ln1 = math.log(0.4), math.log(0.1)
    by_face = [-(0.7 * ln4 + 0.3 * ln1),  # angry 0.7 (predicted), sad 0.1, neutral 0.2
               -ln1,  # the single neutral vote counts here: neutral 1.0
               -ln4]  # contempt is left out: fear 1.0; no votes and NaN: not counted
    assert vote_cross_entropy(rows, probs) == pytest.approx(np.mean(by_face))
    entropy = np.mean([-(0.7 * math.log(0.7) + 0.1 * math.log(0.1) + 0.2 * math.log(0.2)), 0, 0])
    assert vote_entropy(rows) == pytest.approx(entropy)
    exact = vote_distribution(rows, drop_single=False)
    assert vote_cross_entropy(rows, exact) == pytest.approx(vote_entropy(rows), abs=1e-6)
    assert vote_cross_entropy(rows, probs) > vote_entropy(rows)


def test_ferplus_report_hand_computed():
    rows = [votes(anger=7, neutral=2, sadness=1),  # angry, predicted angry: right
            votes(happiness=6, unknown=4),  # happy, predicted happy: right
            votes(contempt=8, neutral=2),  # contempt, predicted neutral: wrong
            votes(neutral=5, happiness=5),  # dropped
            NAN,  # no FER+ label: left out of the original accuracy too
            votes(fear=5, surprise=4, NF=1)]  # fear, predicted surprise: wrong
    predicted = [L["angry"], L["happy"], L["neutral"], L["neutral"], L["sad"], L["surprise"]]
    original = [L["angry"], L["neutral"], L["neutral"], L["neutral"], L["sad"], L["fear"]]
    report = ferplus_report(rows, probs_for(predicted), original, "PrivateTest")
    assert report["split"] == "PrivateTest" and report["n"] == 4 and report["contempt"] == 1
    assert report["protocol_accuracy"] == pytest.approx(2 / 4)  # not 2 / 3: contempt counts wrong
    # agrees_with_majority: angry = angry, neutral != happy, neutral != contempt, fear = fear
    assert report["original"] == {"n": 5, "accuracy": pytest.approx(3 / 5), "agrees_with_majority": 2 / 4}
    confusion = np.zeros((7, 7), int)
    confusion[L["angry"], L["angry"]] = confusion[L["happy"], L["happy"]] = confusion[L["fear"], L["surprise"]] = 1
    assert report["confusion"] == confusion.tolist()  # the contempt face left out
    assert report["per_class_recall"] == {name: (1.0 if name in ("angry", "happy") else 0.0) for name in LABELS}
    assert report["human_agreement"] == pytest.approx((7 / 9 + 1 + 2 / 10 + 4 / 9) / 4)
    ln4, ln1 = math.log(0.4), math.log(0.1)
    assert report["cross_entropy"] == pytest.approx(np.mean([
        -(0.7 * ln4 + 0.3 * ln1), -ln4, -ln4, -(0.5 * ln4 + 0.5 * ln1), -(5 / 9 * ln1 + 4 / 9 * ln4)]))
    assert report["vote_entropy"] == pytest.approx(np.mean([
        -(0.7 * math.log(0.7) + 0.1 * math.log(0.1) + 0.2 * math.log(0.2)), 0, 0, math.log(2),
        -(5 / 9 * math.log(5 / 9) + 4 / 9 * math.log(4 / 9))]))
    json.dumps(report, allow_nan=False)  # JSON-ready


# --- emoji-fer evaluate --labels ferplus ---------------------------------------------------

def evaluate(*args, home):
    # HOME: the loader caches decoded folders under ~/.cache/emoji_fer; a test's throwaway
    # folder belongs in its own tmp_path, not in the user's cache.
    return run_module("emoji_fer", "evaluate", *map(str, args), env={"HOME": str(home), "FERPLUS_VOTES": ""})


def expected_report(root, split, predictor, votes_file=None):
    images, labels, counts = load_ferplus(root, votes_file, splits=(split,), cache=False)[split]
    return ferplus_report(counts, predictor.predict_faces(scale(images[..., None])), labels, split)


def majority_for(label, other):
    """Votes whose FER+ majority is `label` (7 of 10), the rest for `other` (LABELS indices)."""
    return votes(**{FERPLUS_NAMES[LABELS[label]]: 7, FERPLUS_NAMES[LABELS[other]]: 3})


def test_evaluate_ferplus_json_is_ferplus_report(tmp_path, predictor):
    # The synthetic faces' answers are known only by asking the model: the votes of five
    # PrivateTest faces are written after them, three agreeing with it and two not, so that
    # accuracy, recall and confusion are not all zeros. Ids 13, 15, 19, 20 stay dropped, 14
    # contempt (wrong).
    answer = {i: int(predictor.predict_faces(scale(face(i)[None, ..., None]))[0].argmax()) for i in range(11, 21)}
    agree, disagree = {11, 12, 17}, {16, 18}
    faces = [(s, c, i, majority_for(answer[i], (answer[i] + 1) % 7) if i in agree else
              majority_for((answer[i] + 1) % 7, answer[i]) if i in disagree else v) for s, c, i, v in FACES]
    write_folder(tmp_path / "fer", faces)
    proc = evaluate("--data-dir", tmp_path / "fer", "--labels", "ferplus", "--json", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    expected = expected_report(tmp_path / "fer", "PrivateTest", predictor)
    # 6 protocol faces (ids 11, 12, 14, 16, 17, 18), 14 with a contempt majority; 9 of the
    # 10 faces have votes (not 19).
    assert (expected["n"], expected["contempt"], expected["original"]["n"]) == (6, 1, 9)
    assert report["protocol_accuracy"] == pytest.approx(3 / 6)
    assert np.trace(report["confusion"]) == 3 and np.sum(report["confusion"]) == 5
    assert set(report) == set(expected)
    for key in ("split", "n", "contempt", "confusion"):
        assert report[key] == expected[key], key
    for key in ("protocol_accuracy", "human_agreement", "cross_entropy", "vote_entropy"):
        assert report[key] == pytest.approx(expected[key], rel=1e-5), key
    assert report["per_class_recall"] == pytest.approx(expected["per_class_recall"], rel=1e-5)
    assert list(report["per_class_recall"]) == list(LABELS)
    assert report["original"] == pytest.approx(expected["original"], rel=1e-5) and report["original"]["n"] == 9


def test_evaluate_ferplus_text_names_each_figure(tmp_path):
    root = tmp_path / "fer"
    votes_file = write_folder(root, votes_file=tmp_path / "votes" / "mine.csv")  # only --votes finds it
    proc = evaluate("--data-dir", root, "--split", "PublicTest", "--labels", "ferplus", "--votes", votes_file,
                    "--model", "emoji_fer_fer2013", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    r = expected_report(root, "PublicTest", Predictor("emoji_fer_fer2013", detector=None), votes_file)
    lines = proc.stdout.splitlines()

    def line(words):
        found = [x for x in lines if words in x]
        assert len(found) == 1, (words, proc.stdout)
        return found[0]

    assert "PublicTest" in lines[0]
    accuracy = line("protocol accuracy")
    assert f"{r['protocol_accuracy']:.2%}" in accuracy and f"n={r['n']}" in accuracy
    assert f"{r['contempt']} of them with a contempt majority" in accuracy
    assert f"{r['human_agreement']:.3f}" in line("human agreement")
    entropy = line("cross-entropy")
    assert f"{r['cross_entropy']:.3f}" in entropy and f"{r['vote_entropy']:.3f}" in entropy
    original = line("original FER-2013 labels")
    assert f"{r['original']['accuracy']:.2%}" in original and f"n={r['original']['n']}" in original
    assert f"{r['original']['agrees_with_majority']:.2%}" in line("agree with the FER+ majority")
    assert "recall" in line("per-class recall")
    header = lines.index(line("confusion matrix")) + 1
    assert lines[header].split() == list(LABELS)
    for label, row, text in zip(LABELS, r["confusion"], lines[header + 1:header + 8]):
        assert text.split() == [label, *map(str, row)]
    for label, recall in r["per_class_recall"].items():
        assert any(x.split() == [label, f"{recall:.3f}"] for x in lines), label


def no_votes(tmp_path):
    write_folder(tmp_path / "fer", votes_file=tmp_path / "elsewhere.csv")
    return ["--labels", "ferplus"], "No FER+ votes found"


def votes_not_there(tmp_path):
    write_folder(tmp_path / "fer")
    return ["--labels", "ferplus", "--votes", tmp_path / "nope.csv"], "nope.csv does not exist"


def unknown_model(tmp_path):
    write_folder(tmp_path / "fer")
    return ["--labels", "ferplus", "--model", "no_such_model"], "no_such_model"


def votes_without_ferplus(tmp_path):
    write_folder(tmp_path / "fer")
    return ["--votes", tmp_path / "fer" / "ferplus.csv"], "--votes is for --labels ferplus"


def no_dataset(tmp_path):
    return ["--labels", "ferplus"], "does not exist"


@pytest.mark.parametrize("case", [no_votes, votes_not_there, unknown_model, votes_without_ferplus, no_dataset])
def test_evaluate_ferplus_errors_are_one_line(case, tmp_path):
    args, message = case(tmp_path)
    proc = evaluate("--data-dir", tmp_path / "fer", *args, home=tmp_path)
    assert message in error_line(proc, 2) and proc.stdout == ""


# --- the real data ------------------------------------------------------------------------

def test_real_votes_give_ferplus_published_counts(fer_dir, no_votes_env):
    data = load_ferplus(fer_dir)
    # FER+'s protocol faces ("majority" mode of its reference code, contempt included)
    assert int((protocol_labels(data["PublicTest"][2]) != DROPPED).sum()) == 3194
    assert int((protocol_labels(data["PrivateTest"][2]) != DROPPED).sum()) == 3137
    assert vote_entropy(data["PrivateTest"][2]) == pytest.approx(0.484, abs=5e-4)
    # 175 faces FER+ dropped as not a face (../shared/README.md): NaN rows, every other row votes
    nan_rows = sum(int(np.isnan(v).all(axis=1).sum()) for _, _, v in data.values())
    assert nan_rows == 175 and not any(np.isnan(v[~np.isnan(v).all(axis=1)]).any() for _, _, v in data.values())
