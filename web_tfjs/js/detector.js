// Face detection with BlazeFace (Bazarevsky et al. 2019, "BlazeFace: Sub-millisecond
// Neural Face Detection on Mobile GPUs"), the "back" variant: 896 anchors on a 16x16 (2
// per cell) and an 8x8 (6 per cell) grid at 256 px, each predicting a face score, a box
// and 6 keypoints (eyes, nose, mouth, ears).
//
// Python runs the very same weights in LiteRT (emoji_fer/blazeface.py), and its
// postprocessing is defined there once: anchors, score and IoU thresholds, the number of
// faces, the keypoints' names. The model's metadata records it ("detection"), and this
// file reads it from there. Photos get Python's faces: the same letterbox, pixel for pixel
// (preprocess.js letterbox), the same decoding and NMS (decode below), tested against
// Python in tests/test_web.py.
import { letterbox, letterboxGeometry } from './preprocess.js';

const { tf } = globalThis;

// The model was converted for 256x256 inputs but is fully convolutional (vendor.mjs frees
// the input size): any multiple of 32 works, with the spec's anchors on the matching
// grids. Photos use 256, Python's size (small faces in group photos). Live video uses
// 128, half the detector time: a camera's face is large, and 128 finds it as well as 256
// does (docs/benchmarks.md, "Figures behind design choices"). Call mode's smaller faces
// get the photos' size (docs/call-mode.md).
export const INPUT_SIZE = { photo: 256, video: 128 };

// Anchor centres (x, y) in input pixels for a size x size input, in the model's output
// order: per [stride, perCell] of spec.anchors, row-major cells, perCell anchors each.
// Returns Float32Array(A * 2), as blazeface.anchor_centres.
export function anchorCentres(spec, size) {
  const centres = [];
  for (const [stride, perCell] of spec.anchors) {
    for (let gy = 0; gy < size / stride; gy += 1) {
      for (let gx = 0; gx < size / stride; gx += 1) {
        for (let k = 0; k < perCell; k += 1) centres.push(stride * (gx + 0.5), stride * (gy + 0.5));
      }
    }
  }
  return Float32Array.from(centres);
}

// IoU of two [x0, y0, x1, y1] boxes, as blazeface._iou.
function iou(a, b) {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

// blazeface.decode + nms, then back to source pixels as BlazeFace.__call__ does.
// raw: Float32Array(A * 17), per anchor [score logit, 16 regressions]; anchors from
// anchorCentres; geometry from letterboxGeometry. Returns [{box: [x, y, w, h], score,
// keypoints: {name: [x, y]}}] in source pixels (floats), best score first. Python computes
// in float32 (numpy arrays and scalars): Math.fround rounds each step the same way.
export function decode(raw, anchors, spec, { dx, dy, scaleX, scaleY }) {
  const f = Math.fround;
  const count = anchors.length / 2;
  const candidates = [];
  for (let a = 0; a < count; a += 1) {
    const logit = Math.min(80, Math.max(-80, raw[a * 17]));
    const score = f(1 / (1 + Math.exp(-logit)));
    if (score >= spec.score_threshold) candidates.push({ a, score });
  }
  // Greedy NMS, best first (a stable sort, as numpy's): a box overlapping a kept one by
  // more than the IoU threshold is dropped.
  candidates.sort((p, q) => q.score - p.score);
  const kept = [];
  for (const c of candidates) {
    if (kept.length === spec.max_faces) break;
    const r = c.a * 17;
    const [ax, ay] = [anchors[c.a * 2], anchors[c.a * 2 + 1]];
    const [cx, cy] = [f(raw[r + 1] + ax), f(raw[r + 2] + ay)];
    const [hw, hh] = [f(raw[r + 3] / 2), f(raw[r + 4] / 2)];
    c.corners = [f(cx - hw), f(cy - hh), f(cx + hw), f(cy + hh)];
    if (kept.every((k) => iou(c.corners, k.corners) <= spec.iou_threshold)) kept.push(c);
  }
  const [sx, sy] = [f(scaleX), f(scaleY)];
  const toX = (x) => f(f(x - dx) / sx);
  const toY = (y) => f(f(y - dy) / sy);
  return kept.map(({ a, score, corners: [x0, y0, x1, y1] }) => {
    const r = a * 17;
    const keypoints = Object.fromEntries(spec.keypoints.map((name, k) => [name, [
      toX(f(raw[r + 5 + 2 * k] + anchors[a * 2])), toY(f(raw[r + 6 + 2 * k] + anchors[a * 2 + 1]))]]));
    return { box: [toX(x0), toY(y0), f(f(x1 - x0) / sx), f(f(y1 - y0) / sy)], score, keypoints };
  });
}

export class FaceDetector {
  // model: the TF.js graph model (vendor/blazeface); spec: the model's metadata "detection".
  constructor(model, spec) {
    if (spec?.input_size !== INPUT_SIZE.photo) {
      throw new Error(`the model's metadata has no BlazeFace "detection" spec for ${INPUT_SIZE.photo} px inputs `
        + '(re-export it: python -m convert --metadata-only)');
    }
    this.model = model;
    this.spec = spec;
    this.heads = model.artifacts.modelTopology.node.filter((n) => n.op === 'Reshape').map((n) => n.input[0]);
    this.anchors = {};
    this.ctx = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  }

  // Live video: `source` (anything drawImage takes: video, canvas, ImageBitmap) of width x
  // height px, letterboxed by the browser's own scaler into a size x size canvas. Fast;
  // its pixels differ a little from Python's letterbox. Returns decode's faces.
  async detect(source, width, height, size = INPUT_SIZE.video) {
    const geometry = letterboxGeometry(width, height, size);
    if (this.ctx.canvas.width !== size) {
      Object.assign(this.ctx.canvas, { width: size, height: size });
      this.ctx.imageSmoothingQuality = 'high'; // mipmapped downscale: no aliasing on big photos
    }
    this.ctx.fillStyle = 'black';
    this.ctx.fillRect(0, 0, size, size);
    this.ctx.drawImage(source, 0, 0, width, height, geometry.dx, geometry.dy, geometry.w, geometry.h);
    return this.run(() => tf.browser.fromPixels(this.ctx.canvas), size, geometry);
  }

  // Photos: an RGBA image ({data, width, height}, as ImageData) letterboxed exactly as
  // Python does (PIL's BILINEAR, preprocess.js), so that the faces are Python's. Slower
  // than detect()'s canvas scaling, mostly for the exact letterbox, which is why live video
  // keeps detect() (docs/web.md). Returns decode's faces.
  async detectImage({ data, width, height }, size = INPUT_SIZE.photo) {
    const { pixels, ...geometry } = letterbox(data, width, height, size);
    return this.run(() => tf.tensor3d(pixels, [size, size, 3], 'int32'), size, geometry);
  }

  async run(input, size, geometry) {
    this.anchors[size] ??= anchorCentres(this.spec, size);
    const raw = tf.tidy(() => {
      const x = tf.sub(tf.div(tf.expandDims(input(), 0), 127.5), 1); // RGB / 127.5 - 1
      // The 4 head convolutions, [1, grid, grid, channels]: scores (2 anchors per cell on the
      // 16-px grid, 6 on the 32-px grid) and regressions (16 per anchor). Taken before the
      // graph's own reshapes, which are hard-wired for 256 px.
      const [s16, s32, r16, r32] = this.model.execute(x, this.heads)
        .sort((a, b) => a.shape[3] - b.shape[3]);
      const flat = (t, k) => tf.reshape(t, [-1, k]);
      return tf.concat([
        tf.concat([flat(s16, 1), flat(r16, 16)], 1), tf.concat([flat(s32, 1), flat(r32, 16)], 1)], 0);
    });
    try {
      return decode(await raw.data(), this.anchors[size], this.spec, geometry);
    } finally {
      raw.dispose();
    }
  }
}
