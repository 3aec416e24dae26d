// The expression classifier and its test-time augmentation (TTA), without the DOM: the
// same module runs in the page (photos, and the main-thread fallback) and in the Web
// Worker that classifies the camera's faces (classifier-worker.js).
//
// A TTA mode has V views of a face (V = 8 for the shipped model's flip_scales). Views are
// numbered 0..V-1 in the order of emoji_fer/inference.py tta_views(): the mode's views of
// the face, then the same of its mirror image. A photo gets all V at once; the camera
// gets one per frame and per track (tracker.js), the mean of the latest V being the same
// 8-view mean once a face has been seen V times.
const { tf } = globalThis; // TF.js as one global: classic <script> tags, or importScripts in the worker

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

// Number of views of a TTA mode: 1 for "none", else twice the mode's list (with mirrors).
export function viewCount(mode) {
  if (!TTA_MODES.includes(mode)) throw new Error(`unknown TTA mode "${mode}"; expected ${TTA_MODES.join(', ')}`);
  return mode === 'none' ? 1 : 2 * MODE_VIEWS[mode].length;
}

// View k (0 <= k < viewCount(mode)) of a batch x [N, S, S, 1].
export function viewAt(x, mode, k, size) {
  if (mode === 'none') return x;
  const names = MODE_VIEWS[mode];
  return view(k < names.length ? x : tf.reverse(x, 2), names[k % names.length], size);
}

// All views of a batch x [N, S, S, 1], in order (tests compare them with Python's).
export function ttaViews(x, mode, size) {
  return Array.from({ length: viewCount(mode) }, (_, k) => viewAt(x, mode, k, size));
}

export class Classifier {
  // model: a tf.GraphModel of the expression CNN; metadata: web_tfjs/model/metadata.json;
  // tta: the TTA mode (metadata.inference.tta unless overridden).
  constructor(model, metadata, tta) {
    this.model = model;
    this.size = metadata.preprocessing.input_size;
    this.classes = metadata.labels.length;
    this.tta = tta;
    this.views = viewCount(tta);
    // The classifier head (metadata.head, written by convert/): the penultimate features'
    // node and the logits' weights, which a personal head (personal.js) replaces.
    this.headNodes = metadata.head ?? null;
    this.head = null; // {W: tf.Tensor2D [F, C], b: tf.Tensor1D [C]} while a personal head is active
  }

  static async load(modelUrl, metadata, tta) {
    return new Classifier(await tf.loadGraphModel(modelUrl), metadata, tta);
  }

  // faces: Float32Array(S*S) model inputs (emoji_fer preprocessing, in [0, 1]);
  // views: for each face, the view numbers to classify; personal: for each face, whether
  // the personal head (setHead) classifies it, if one is set (default: none does). One model
  // call for all of them. Returns one Float32Array(V_i * 7) of probabilities per face, its
  // views in the order asked.
  async classifyViews(faces, views, personal = null) {
    const total = views.reduce((n, v) => n + v.length, 0);
    if (total === 0) return faces.map(() => new Float32Array(0));
    const { size, classes } = this;
    const mine = this.head && personal?.some(Boolean) ? personal : null;
    const outputs = tf.tidy(() => {
      const batch = [];
      faces.forEach((face, i) => {
        if (views[i].length === 0) return;
        const x = tf.tensor4d(face, [1, size, size, 1]);
        for (const k of views[i]) batch.push(viewAt(x, this.tta, k, size));
      });
      const x = batch.length === 1 ? batch[0] : tf.concat(batch, 0);
      // The graph's own output for the shipped model, so that its results stay exactly the
      // shipped model's; with a personal face in the batch, also the features, in the same call.
      if (!mine) return [this.model.execute(x)];
      const [features, shipped] = this.model.execute(x, [this.headNodes.features, this.model.outputNodes[0]]);
      return [shipped, tf.softmax(tf.add(tf.matMul(features, this.head.W), this.head.b))];
    });
    const [flat, flatPersonal] = await Promise.all(outputs.map((t) => t.data()));
    tf.dispose(outputs);
    let offset = 0;
    return views.map((v, i) => {
      const out = (mine?.[i] ? flatPersonal : flat).slice(offset * classes, (offset + v.length) * classes);
      offset += v.length;
      return out;
    });
  }

  // The penultimate features (metadata.head.size floats per view) of the asked views:
  // one Float32Array(V_i * F) per face, as classifyViews. What a personal head is fitted on.
  async featureViews(faces, views) {
    const { size } = this;
    const features = tf.tidy(() => {
      const batch = [];
      faces.forEach((face, i) => {
        const x = tf.tensor4d(face, [1, size, size, 1]);
        for (const k of views[i]) batch.push(viewAt(x, this.tta, k, size));
      });
      return this.model.execute(tf.concat(batch, 0), this.needHead().features);
    });
    const flat = await features.data();
    features.dispose();
    const F = this.headNodes.size;
    let offset = 0;
    return views.map((v) => {
      const out = flat.slice(offset * F, (offset + v.length) * F);
      offset += v.length;
      return out;
    });
  }

  // The shipped head's weights, read from the downloaded graph: {W: Float32Array(F*C), row
  // major [F, C], b: Float32Array(C)}. A personal head starts from them.
  shippedHead() {
    const { kernel, bias } = this.needHead();
    return { W: this.model.weights[kernel][0].dataSync().slice(), b: this.model.weights[bias][0].dataSync().slice() };
  }

  // Use a personal head ({W: Float32Array(F*C), b: Float32Array(C)}, as shippedHead) for
  // the faces that later calls mark as personal, or none (null). Throws on wrong sizes.
  setHead(head) {
    if (head) {
      const F = this.needHead().size;
      if (head.W.length !== F * this.classes || head.b.length !== this.classes) {
        throw new Error(`a head needs W of ${F}x${this.classes} and b of ${this.classes} values`);
      }
    }
    if (this.head) tf.dispose([this.head.W, this.head.b]);
    this.head = head ? { W: tf.tensor2d(head.W, [this.headNodes.size, this.classes]), b: tf.tensor1d(head.b) } : null;
  }

  needHead() {
    if (!this.headNodes) throw new Error('metadata.json names no classifier head (re-run python -m convert --metadata-only)');
    return this.headNodes;
  }

  // Every view of every face at once (photos): the TTA mean, one Float32Array(7) per face.
  // personal: as classifyViews (photos use the shipped model: personal.js says why).
  async classify(faces, personal = null) {
    const all = Array.from({ length: this.views }, (_, k) => k);
    const per = await this.classifyViews(faces, faces.map(() => all), personal);
    const { classes } = this;
    return per.map((p) => meanOfViews(Array.from({ length: p.length / classes },
      (_, v) => p.subarray(v * classes, (v + 1) * classes))));
  }
}

// The mean of views' probabilities, Float32Array(C) each -> Float32Array(C). The page's
// photo TTA and the camera's tracks (tracker.js) both average with it.
export function meanOfViews(views) {
  const mean = new Float32Array(views[0].length);
  for (const p of views) for (let c = 0; c < mean.length; c += 1) mean[c] += p[c];
  for (let c = 0; c < mean.length; c += 1) mean[c] /= views.length;
  return mean;
}
