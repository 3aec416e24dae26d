// The recognition pipeline: backend choice, face detection, cropping, classification with
// the model's test-time augmentation. `analyze(ctx)` returns the whole per-frame result;
// the page (and later features such as a probability timeline) only consume that object.
import { FaceDetector, INPUT_SIZE } from './detector.js';

export { INPUT_SIZE };
import { expandBox, grayInput, grayRegion } from './preprocess.js';

const { tf } = globalThis; // TF.js from vendor/tfjs (classic scripts in index.html)
const VENDOR = new URL('../vendor/', import.meta.url);
const MODEL = new URL('../model/', import.meta.url);
const TOP_K = 3;

// Software WebGL (SwiftShader, llvmpipe) runs shaders on the CPU and is 10x slower than
// wasm here; a real GPU wins. So: webgl only on a hardware renderer, else wasm, else cpu.
function hardwareWebGL() {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return false;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    return !/swiftshader|llvmpipe|softpipe|software|basic render/i.test(String(renderer));
  } catch {
    return false;
  }
}

async function useBackend(requested) {
  tf.wasm.setWasmPaths(new URL('tfjs/', VENDOR).href);
  const order = requested ? [requested] : [...(hardwareWebGL() ? ['webgl'] : []), 'wasm', 'cpu'];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch (err) {
      console.warn(`TF.js backend ${name} unavailable: ${err.message}`);
    }
  }
  throw new Error(`no TF.js backend could start (tried ${order.join(', ')})`);
}

// The TTA views of a batch x [N, S, S, 1], in the order of emoji_fer/inference.py
// tta_views(): the mode's views of x, then the same of its mirror image ("none": x alone).
// MODE_VIEWS and view() mirror the Python ones: shifts of 2 px cut from a REFLECT-padded
// copy, zooms resized back as TF2's tf.image.resize does (bilinear, half-pixel centres,
// no antialias).
const MODE_VIEWS = {
  none: ['face'],
  hflip: ['face'],
  flip_zoom: ['face', 'zoom_in'],
  flip_scales: ['face', 'zoom_out', 'zoom_in', 'zoom_in_2x'],
  flip_shift_zoom: ['face', 'up', 'down', 'left', 'right', 'zoom_in'],
};
export const TTA_MODES = Object.keys(MODE_VIEWS);
const SHIFT = 2;
const ZOOM = 2;
const SHIFTS = { up: [-SHIFT, 0], down: [SHIFT, 0], left: [0, -SHIFT], right: [0, SHIFT] };

function view(face, name, size) {
  const resize = (t) => tf.image.resizeBilinear(t, [size, size], false, true);
  const pad = (t, p) => tf.mirrorPad(t, [[0, 0], [p, p], [p, p], [0, 0]], 'reflect');
  const crop = (t, z) => tf.slice(t, [0, z, z, 0], [-1, size - 2 * z, size - 2 * z, -1]);
  if (name === 'face') return face;
  if (name in SHIFTS) {
    const [dy, dx] = SHIFTS[name];
    return tf.slice(pad(face, SHIFT), [0, SHIFT + dy, SHIFT + dx, 0], [-1, size, size, -1]);
  }
  if (name === 'zoom_in') return resize(crop(face, ZOOM));
  if (name === 'zoom_in_2x') return resize(crop(face, 2 * ZOOM));
  if (name === 'zoom_out') return resize(pad(face, ZOOM));
  throw new Error(`unknown view "${name}"`);
}

export function ttaViews(x, mode, size) {
  if (mode === 'none') return [x];
  return [x, tf.reverse(x, 2)].flatMap((face) => MODE_VIEWS[mode].map((name) => view(face, name, size)));
}

// Detector boxes are float; Python's dlib boxes are ints clipped to the image (detect._clip).
function toIntBox([x, y, w, h], imageWidth, imageHeight) {
  const x0 = Math.max(0, Math.round(x));
  const y0 = Math.max(0, Math.round(y));
  const x1 = Math.min(imageWidth, Math.round(x + w));
  const y1 = Math.min(imageHeight, Math.round(y + h));
  return [x0, y0, x1 - x0, y1 - y0];
}

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
  return response.json();
}

export class Engine {
  // backend: 'wasm' | 'webgl' | 'cpu' | undefined (the best available); tta: override of
  // the model's metadata (for measurements), undefined = metadata.inference.tta.
  static async create({ backend, tta } = {}) {
    const chosen = await useBackend(backend);
    const [metadata, model, detector] = await Promise.all([
      fetchJson(new URL('metadata.json', MODEL)),
      tf.loadGraphModel(new URL('model.json', MODEL).href),
      FaceDetector.load(new URL('blazeface/blazeface.json', VENDOR).href),
    ]);
    const mode = tta || metadata.inference?.tta || 'none';
    if (!TTA_MODES.includes(mode)) throw new Error(`unknown TTA mode "${mode}"; expected ${TTA_MODES.join(', ')}`);
    const engine = new Engine(chosen, metadata, model, detector, mode);
    await engine.warmUp();
    return engine;
  }

  constructor(backend, metadata, model, detector, tta) {
    Object.assign(this, { backend, metadata, model, detector, tta });
    this.prep = metadata.preprocessing;
    this.labels = metadata.labels;
    this.emoji = metadata.emoji;
  }

  // The first calls compile kernels and allocate; do them before the user's first frame.
  async warmUp() {
    const canvas = document.createElement('canvas');
    Object.assign(canvas, { width: 64, height: 48 });
    for (const size of Object.values(INPUT_SIZE)) await this.detector.detect(canvas, 64, 48, size);
    await this.classify([new Float32Array(this.prep.input_size ** 2)]);
  }

  // Probabilities for preprocessed faces (Float32Array(size*size) each), TTA applied with
  // one model call over all views of all faces. Returns one Float32Array(7) per face.
  async classify(faces) {
    if (faces.length === 0) return [];
    const size = this.prep.input_size;
    const n = this.labels.length;
    const batch = new Float32Array(faces.length * size * size);
    faces.forEach((face, i) => batch.set(face, i * size * size));
    const mean = tf.tidy(() => {
      const views = ttaViews(tf.tensor4d(batch, [faces.length, size, size, 1]), this.tta, size);
      const probs = this.model.execute(views.length === 1 ? views[0] : tf.concat(views, 0));
      return tf.mean(tf.reshape(probs, [views.length, faces.length, n]), 0);
    });
    const flat = await mean.data();
    mean.dispose();
    return faces.map((_, i) => flat.subarray(i * n, (i + 1) * n));
  }

  // One frame or photo, drawn into a 2D canvas context at its own size ->
  // {width, height, faces: [{box, scores, top}], message, backend, tta, ms}. Boxes are in
  // the canvas's pixels, largest (main) face first; the face schema is the Predictor's.
  // options.detectSize: the detector's input side (INPUT_SIZE.photo or .video);
  // options.boxes: classify these [x, y, w, h] boxes instead of detecting (used by the
  // tests to compare with Python on the very same boxes).
  async analyze(ctx, { detectSize = INPUT_SIZE.photo, boxes: given } = {}) {
    const { width, height } = ctx.canvas;
    const t0 = performance.now();
    const found = given || (await this.detector.detect(ctx.canvas, width, height, detectSize)).map((d) => d.box);
    const boxes = found.map((box) => toIntBox(box, width, height))
      .filter(([, , w, h]) => w > 0 && h > 0)
      .sort((a, b) => b[2] * b[3] - a[2] * a[3]);
    const t1 = performance.now();
    const crops = boxes.map((box) => {
      const region = expandBox(box, width, height, this.prep.face_margin);
      const { data } = ctx.getImageData(...region);
      return grayInput(grayRegion(data, region[2], [0, 0, region[2], region[3]]), region[2], region[3], this.prep);
    });
    const probs = await this.classify(crops);
    const t2 = performance.now();
    return {
      width,
      height,
      faces: boxes.map((box, i) => this.face(box, probs[i])),
      message: boxes.length ? null : 'no face found',
      backend: this.backend,
      tta: this.tta,
      ms: { detect: t1 - t0, classify: t2 - t1, total: t2 - t0 },
    };
  }

  face(box, probs) {
    const scores = Object.fromEntries(this.labels.map((label, i) => [label, probs[i]]));
    const top = this.labels.map((label, i) => ({ label, emoji: this.emoji[label], score: probs[i] }))
      .sort((a, b) => b.score - a.score).slice(0, TOP_K);
    return { box, scores, top };
  }
}
