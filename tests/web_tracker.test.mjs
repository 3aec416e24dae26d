// Unit tests of web_tfjs/js/tracker.js in Node (no browser): `node --test tests/web_tracker.test.mjs`.
// tests/test_web.py runs them; the browser tests check the same tracks on real video.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_MISSED, Tracker, centreShift, framesToNextDetection, iou } from '../web_tfjs/js/tracker.js';

const V = 8;
const C = 7;
const onehot = (c, p = 1) => Float32Array.from({ length: C }, (_, i) => (i === c ? p : (1 - p) / (C - 1)));

test('iou of boxes', () => {
  assert.equal(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  assert.equal(iou([0, 0, 10, 10], [10, 0, 10, 10]), 0); // touching edges do not overlap
  assert.equal(iou([0, 0, 10, 10], [5, 0, 10, 10]), 50 / 150);
  assert.equal(iou([0, 0, 10, 10], [100, 100, 5, 5]), 0);
});

test('tracks keep their ids while the faces move, in any detection order', () => {
  const tracker = new Tracker(V);
  tracker.update([[0, 0, 100, 100], [300, 0, 100, 100]]);
  assert.deepEqual(tracker.tracks.map((t) => t.id), [1, 2]);
  for (let step = 1; step <= 30; step += 1) {
    const boxes = [[300 + 3 * step, 2 * step, 100, 100], [3 * step, 0, 100, 100]]; // swapped order
    tracker.update(boxes);
    assert.deepEqual(tracker.tracks.map((t) => [t.id, t.box[0]]), [[1, 3 * step], [2, 300 + 3 * step]]);
  }
});

test('a missed face keeps its track for MAX_MISSED detections, then ends; ids are never reused', () => {
  const tracker = new Tracker(V);
  tracker.update([[0, 0, 100, 100]]);
  for (let miss = 1; miss <= MAX_MISSED; miss += 1) {
    tracker.update([]);
    assert.equal(tracker.tracks.length, 1);
    assert.equal(tracker.tracks[0].missed, miss);
  }
  tracker.update([[2, 0, 100, 100]]); // back in time: same track, misses forgotten
  assert.deepEqual(tracker.tracks.map((t) => [t.id, t.missed]), [[1, 0]]);
  for (let miss = 0; miss <= MAX_MISSED; miss += 1) tracker.update([]);
  assert.equal(tracker.tracks.length, 0);
  tracker.update([[0, 0, 100, 100]]);
  assert.equal(tracker.tracks[0].id, 2);
});

test('a detection far from every track starts a new one', () => {
  const tracker = new Tracker(V);
  tracker.update([[0, 0, 100, 100]]);
  tracker.update([[80, 0, 100, 100]]); // IoU 20/180 < MIN_IOU
  assert.deepEqual(tracker.tracks.map((t) => t.id), [1, 2]);
  assert.equal(tracker.tracks[0].missed, 1);
});

test('temporal TTA: views in turn, the mean of the latest of each, exact after V frames', () => {
  const tracker = new Tracker(V);
  const [track] = tracker.update([[0, 0, 100, 100]]);
  assert.equal(track.mean(), null);
  const probs = Array.from({ length: V }, (_, k) => onehot(k % C, 0.5 + 0.05 * k));
  for (let k = 0; k < V; k += 1) {
    const view = track.take();
    assert.equal(view, k);
    track.record(view, probs[view]);
    assert.equal(track.views, k + 1);
    const expected = new Float32Array(C);
    for (let j = 0; j <= k; j += 1) for (let c = 0; c < C; c += 1) expected[c] += probs[j][c] / (k + 1);
    track.mean().forEach((p, c) => assert.ok(Math.abs(p - expected[c]) < 1e-6));
  }
  // The next frame replaces view 0 only; the views seen stay V.
  assert.equal(track.take(), 0);
  track.record(0, onehot(6));
  assert.equal(track.views, V);
  const expected6 = (1 + probs.slice(1).reduce((s, p) => s + p[6], 0)) / V;
  assert.ok(Math.abs(track.mean()[6] - expected6) < 1e-6);
});

test('frames in flight take different views; results may arrive in any order', () => {
  const tracker = new Tracker(V);
  const [track] = tracker.update([[0, 0, 100, 100]]);
  const a = track.take();
  const b = track.take();
  assert.deepEqual([a, b], [0, 1]);
  track.record(b, onehot(3));
  track.record(a, onehot(3));
  assert.equal(track.views, 2);
  assert.ok(Math.abs(track.mean()[3] - 1) < 1e-6);
});

test('the detector comes back sooner when faces move faster', () => {
  assert.equal(centreShift([0, 0, 100, 100], [10, 0, 100, 100]), 0.1);
  const drift = 2 / 48;
  assert.equal(framesToNextDetection(0, 3, drift, 6), 6); // still: the longest interval
  assert.equal(framesToNextDetection(0.01, 3, drift, 6), 6); // 0.003 widths a frame
  assert.equal(framesToNextDetection(0.05, 2, drift, 6), 1); // 0.025 a frame: 1.7 frames, floored
  assert.equal(framesToNextDetection(0.04, 4, drift, 6), 4); // 0.01 a frame: 4.2 frames
  assert.equal(framesToNextDetection(1, 1, drift, 6), 1); // never less than every frame
  const tracker = new Tracker(V);
  tracker.update([[0, 0, 100, 100]]);
  tracker.update([[0, 5, 100, 100], [500, 500, 50, 50]]);
  assert.equal(tracker.shift, 0.05); // the matched box's move; new tracks do not count
});

test('a track carries the keypoints of the detection that gave its box, until the next one', () => {
  const eyes = (x) => ({ right_eye: [x + 30, 40], left_eye: [x + 70, 44] });
  const tracker = new Tracker(V);
  const [track] = tracker.update([[0, 0, 100, 100], [300, 0, 100, 100]], [eyes(0), eyes(300)]);
  assert.deepEqual(track.keypoints, eyes(0));
  assert.deepEqual(tracker.tracks[1].keypoints, eyes(300));
  tracker.update([[4, 0, 100, 100]], [eyes(4)]); // moved: box and eyes together
  assert.deepEqual([track.box, track.keypoints], [[4, 0, 100, 100], eyes(4)]);
  assert.deepEqual(tracker.tracks[1].keypoints, eyes(300)); // missed: keeps its box and eyes
  tracker.update([[8, 0, 100, 100]]); // a detector without keypoints
  assert.equal(track.keypoints, null);
});
