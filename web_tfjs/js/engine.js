// The recognition pipeline for one image: backend choice, face detection, cropping, and
// classification with all of the model's test-time augmentation views (classifier.js).
// `analyze(ctx)` returns the whole result; the page and the timeline only consume that
// object. The camera goes through live.js instead, which tracks faces across frames.
import { Classifier, TTA_MODES, ttaViews } from './classifier.js';
import { FaceDetector, INPUT_SIZE } from './detector.js';
import { alignEyes, cropAligned } from './preprocess.js';
import { WHOLE_IMAGE_MAX_SIDE } from './shared.js';

export { INPUT_SIZE, TTA_MODES, ttaViews };

const { tf } = globalThis; // TF.js from vendor/tfjs (classic scripts in index.html)
export const VENDOR = new URL('../vendor/', import.meta.url);
export const MODEL = new URL('../model/', import.meta.url);
const TOP_K = 3;
// A photo of at most WHOLE_IMAGE_MAX_SIDE px (emoji_fer/predictor.py's, via shared.js) is
// one face crop (a FER-2013-style headshot), classified whole without detection:
// BlazeFace, upscaling a 48 px crop to 256 px, finds "faces" inside the face.
// tests/test_web_detect.py checks both sides of the limit against Python.
export { WHOLE_IMAGE_MAX_SIDE };

// Software WebGL (SwiftShader, llvmpipe) runs shaders on the CPU, many times slower than
// wasm (docs/benchmarks.md, "The browser page"); a real GPU wins. So: webgl only on a
// hardware renderer, else wasm, else cpu.
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

// Detector boxes are float; Python's are ints, corners rounded half up and clipped to the
// image (detect._corners_rounded, detect._clip).
function toIntBox([x, y, w, h], imageWidth, imageHeight) {
  const x0 = Math.max(0, Math.round(x));
  const y0 = Math.max(0, Math.round(y));
  const x1 = Math.min(imageWidth, Math.round(x + w));
  const y1 = Math.min(imageHeight, Math.round(y + h));
  return [x0, y0, x1 - x0, y1 - y0];
}

export const area = ([, , w, h]) => w * h;

// Faces ({box, ...}) with non-empty boxes, largest first (the main face is the largest, as
// in Python).
export function sortFaces(faces) {
  return faces.filter(({ box: [, , w, h] }) => w > 0 && h > 0).sort((a, b) => area(b.box) - area(a.box));
}

// Detected faces -> {box: int [x, y, w, h] clipped to the image, keypoints}, largest first.
function intFaces(found, width, height) {
  return sortFaces(found.map(({ box, keypoints }) => ({ box: toIntBox(box, width, height), keypoints })));
}

export async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
  return response.json();
}

export class Engine {
  // backend: 'wasm' | 'webgl' | 'cpu' | undefined (the best available); tta: override of
  // the model's metadata (for measurements), undefined = metadata.inference.tta.
  static async create({ backend, tta } = {}) {
    const chosen = await useBackend(backend);
    const [metadata, blazeface] = await Promise.all([
      fetchJson(new URL('metadata.json', MODEL)),
      tf.loadGraphModel(new URL('blazeface/blazeface.json', VENDOR).href),
    ]);
    const detector = new FaceDetector(blazeface, metadata.detection); // its postprocessing is Python's
    const mode = tta || metadata.inference?.tta || 'none';
    if (!TTA_MODES.includes(mode)) throw new Error(`unknown TTA mode "${mode}"; expected ${TTA_MODES.join(', ')}`);
    const classifier = await Classifier.load(new URL('model.json', MODEL).href, metadata, mode);
    const engine = new Engine(chosen, metadata, classifier, detector);
    await engine.warmUp();
    return engine;
  }

  constructor(backend, metadata, classifier, detector) {
    Object.assign(this, { backend, metadata, classifier, detector });
    this.tta = classifier.tta;
    this.prep = metadata.preprocessing;
    this.labels = metadata.labels;
    this.emoji = metadata.emoji;
  }

  // The first calls compile kernels and allocate; do them before the user's first frame.
  async warmUp() {
    const canvas = document.createElement('canvas');
    Object.assign(canvas, { width: 64, height: 48 });
    for (const size of Object.values(INPUT_SIZE)) await this.detector.detect(canvas, 64, 48, size);
    await this.detector.detectImage(new ImageData(64, 48), INPUT_SIZE.photo);
    const blank = new Float32Array(this.prep.input_size ** 2);
    await this.classifier.classify([blank]);
    await this.classifier.classifyViews([blank], [[0]]); // the main-thread fallback's camera call
  }

  // Model inputs (Float32Array(S*S), emoji_fer preprocessing: crop_face) of the faces of an
  // RGBA image ({data, width, height}, as ImageData). A face is {box: int [x, y, w, h],
  // keypoints}; with the eyes among its keypoints the crop is aligned (eyes level), else the
  // box is widened by the margin; then grayscale, PIL-bilinear resize.
  crops({ data, width, height }, faces) {
    return faces.map(({ box, keypoints }) => cropAligned(data, width, height, box, this.prep,
      alignEyes(keypoints, this.prep)));
  }

  // Live video: the faces of a canvas (or anything drawImage takes) of width x height px,
  // through the browser's fast scaler: [{box: int [x, y, w, h] clipped to it, keypoints:
  // {name: [x, y]}}], largest (main) face first. size: the detector's input side (INPUT_SIZE).
  async detect(source, width, height, size) {
    return intFaces(await this.detector.detect(source, width, height, size), width, height);
  }

  // Photos: the faces of an RGBA image ({data, width, height}) as Python finds them (the
  // same letterbox pixels, detector.js); the same schema as detect().
  async detectImage(image, size = INPUT_SIZE.photo) {
    return intFaces(await this.detector.detectImage(image, size), image.width, image.height);
  }

  // One photo (or frame), drawn into a 2D canvas context at its own size ->
  // {width, height, faces: [{box, scores, top, keypoints}], whole_image, message, backend,
  // tta, ms}. Boxes and keypoints are in the canvas's pixels, largest (main) face first;
  // the face schema is the Predictor's. Detection and crops are Python's, pixel for pixel.
  // An image of at most WHOLE_IMAGE_MAX_SIDE px is one face, box [0, 0, width, height]
  // (whole_image true), as in Python.
  // options.detectSize: the detector's input side (INPUT_SIZE.photo or .video);
  // options.faces: classify these faces ({box, keypoints}; without keypoints, no alignment)
  // instead of detecting (used by the tests to compare with Python on the very same boxes
  // and eyes).
  async analyze(ctx, { detectSize = INPUT_SIZE.photo, faces: given } = {}) {
    const { width, height } = ctx.canvas;
    const t0 = performance.now();
    const image = ctx.getImageData(0, 0, width, height);
    const whole = !given && Math.max(width, height) <= WHOLE_IMAGE_MAX_SIDE;
    let found;
    if (given) found = intFaces(given, width, height);
    else if (whole) found = [{ box: [0, 0, width, height], keypoints: null }];
    else found = await this.detectImage(image, detectSize);
    const t1 = performance.now();
    const probs = await this.classifier.classify(this.crops(image, found));
    const t2 = performance.now();
    return {
      width,
      height,
      faces: found.map(({ box, keypoints }, i) => this.face(box, probs[i], keypoints ? { keypoints } : {})),
      whole_image: whole,
      message: whole ? `an image of at most ${WHOLE_IMAGE_MAX_SIDE} px: classified the whole image as one face crop`
        : found.length ? null : 'no face found',
      backend: this.backend,
      tta: this.tta,
      ms: { detect: t1 - t0, classify: t2 - t1, total: t2 - t0 },
    };
  }

  // One face of a result: the Predictor's schema (box, scores, top-3); `extra` adds the
  // keypoints, and the camera's track id and view count.
  face(box, probs, extra = {}) {
    const scores = Object.fromEntries(this.labels.map((label, i) => [label, probs[i]]));
    const top = this.labels.map((label, i) => ({ label, emoji: this.emoji[label], score: probs[i] }))
      .sort((a, b) => b.score - a.score).slice(0, TOP_K);
    return { box, scores, top, ...extra };
  }
}
