// Face tracks across camera frames, and temporal TTA. Pure functions and classes, no DOM
// and no TF.js calls: node tests them (tests/web_tracker.test.mjs).
import { meanOfViews } from './classifier.js';
//
// A track is one face followed from frame to frame: each detection is matched to the
// track whose box overlaps it most (IoU), so the same person keeps the same id. Temporal
// TTA: each frame classifies one view of each track's face (the next of the model's V
// TTA views, in turn), and the track shows the mean of the latest probabilities of every
// view it has. A still face thus gets exactly the V-view mean after V frames; a new track
// shows the mean of the views it has so far, and says how many (`views`).

export const MIN_IOU = 0.3; // a detection continues a track if their boxes overlap this much
// Detections a track may miss in a row (a blink of the detector, a hand passing) before
// it ends; until then it keeps its last box and is still shown.
export const MAX_MISSED = 2;

// Intersection over union of two [x, y, w, h] boxes, in [0, 1].
export function iou([ax, ay, aw, ah], [bx, by, bw, bh]) {
  const w = Math.min(ax + aw, bx + bw) - Math.max(ax, bx);
  const h = Math.min(ay + ah, by + bh) - Math.max(ay, by);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (aw * ah + bw * bh - inter);
}

// How far box b's centre is from box a's, in a's widths.
export function centreShift([ax, ay, aw, ah], [bx, by, bw, bh]) {
  return Math.hypot(bx + bw / 2 - ax - aw / 2, by + bh / 2 - ay - ah / 2) / aw;
}

// Frames until the next detection, from how fast the faces moved since the last one
// (`shift` box widths in `frames` frames): the boxes are carried as long as the expected
// drift stays under maxDrift box widths, between 1 and maxEvery frames.
export function framesToNextDetection(shift, frames, maxDrift, maxEvery) {
  const perFrame = shift / Math.max(1, frames);
  if (perFrame <= 0) return maxEvery;
  return Math.max(1, Math.min(maxEvery, Math.floor(maxDrift / perFrame)));
}

export class Track {
  constructor(id, box, views, keypoints = null) {
    this.id = id;
    this.box = box;
    // The keypoints ({name: [x, y]}, or null) of the detection that gave `box`: between
    // detections the track keeps both, so its eyes stay where they are in its box.
    this.keypoints = keypoints;
    this.missed = 0;
    this.next = 0; // the view this track's face gets at its next classification
    this.probs = Array.from({ length: views }, () => null); // latest Float32Array(C) per view
  }

  // The number of views with probabilities (1..V once classified).
  get views() {
    return this.probs.filter(Boolean).length;
  }

  // The view for this track's next classification; the one after it asks for the
  // following view (mod V). Taken when a frame is sent, so frames in flight differ.
  take() {
    const k = this.next;
    this.next = (k + 1) % this.probs.length;
    return k;
  }

  // Record view k's probabilities (Float32Array(C)).
  record(k, probs) {
    this.probs[k] = probs;
  }

  // The mean of the latest probabilities of each view seen: Float32Array(C), or null before
  // the first classification.
  mean() {
    const seen = this.probs.filter(Boolean);
    return seen.length ? meanOfViews(seen) : null;
  }
}

export class Tracker {
  // views: V, the TTA mode's view count.
  constructor(views) {
    Object.assign(this, { views, tracks: [], lastId: 0 });
  }

  // One detector pass: boxes [[x, y, w, h], ...] of the same frame size as the tracks, and
  // optionally each box's keypoints ({name: [x, y]} or null, same order).
  // Greedy matching, best IoU first: each detection continues at most one track. Matched
  // tracks move to the new box and keypoints; unmatched tracks count a miss and end after
  // MAX_MISSED; unmatched detections start new tracks (ids 1, 2, 3, ... never reused).
  // Returns tracks; `shift` is then the largest move of a matched box's centre, in box
  // widths (0 if none).
  update(boxes, keypoints = []) {
    this.shift = 0;
    const pairs = [];
    this.tracks.forEach((track, t) => boxes.forEach((box, d) => {
      const overlap = iou(track.box, box);
      if (overlap >= MIN_IOU) pairs.push([overlap, t, d]);
    }));
    pairs.sort((a, b) => b[0] - a[0]);
    const trackTaken = new Set();
    const boxTaken = new Set();
    for (const [, t, d] of pairs) {
      if (trackTaken.has(t) || boxTaken.has(d)) continue;
      trackTaken.add(t);
      boxTaken.add(d);
      this.shift = Math.max(this.shift, centreShift(this.tracks[t].box, boxes[d]));
      this.tracks[t].box = boxes[d];
      this.tracks[t].keypoints = keypoints[d] ?? null;
      this.tracks[t].missed = 0;
    }
    this.tracks.forEach((track, t) => { if (!trackTaken.has(t)) track.missed += 1; });
    this.tracks = this.tracks.filter((track) => track.missed <= MAX_MISSED);
    boxes.forEach((box, d) => {
      if (!boxTaken.has(d)) this.tracks.push(new Track(this.lastId += 1, box, this.views, keypoints[d] ?? null));
    });
    return this.tracks;
  }

  reset() {
    this.tracks = [];
  }
}
