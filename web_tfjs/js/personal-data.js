// The personal model's data, without TF.js or the DOM (node --test tests/web_personal.test.mjs):
// the user's labelled samples and their held-out split, the recorder's thinning, and the
// head's file format (export, import, IndexedDB) with its validation.
//
// A sample is one face's model input (Float32Array(S*S), emoji_fer preprocessing, values
// k/255) with the label the user gave it. Samples live in the tab's memory only.

// Every HOLD_OUT_EVERY-th sample of each label (its 4th, 8th, ... in the order collected) is
// held out: a stratified 25 % share, which never changes as samples are added (as
// emoji_fer/feedback/export.py export_folder splits by id). The before/after accuracy and the
// zip's test/ folder use it.
export const HOLD_OUT_EVERY = 4;

// The head file: its format name and version (bump the version when the fields change).
export const HEAD_FORMAT = 'emoji-fer-personal-head';
export const HEAD_VERSION = 1;

export class SampleSet {
  // labels: the model's labels (metadata.labels), in its order.
  constructor(labels) {
    this.labels = labels;
    this.clear();
  }

  clear() {
    this.samples = [];
    this.lastId = 0;
  }

  get size() {
    return this.samples.length;
  }

  // Adds a sample: label one of this.labels, input a Float32Array (copied). Returns the
  // sample {id, label, input, heldOut, features: null}; features (Float32Array(V*F), the
  // penultimate features of the model's V TTA views) are filled in later by personal.js.
  add(label, input) {
    if (!this.labels.includes(label)) throw new Error(`unknown label "${label}"; expected one of ${this.labels.join(', ')}`);
    const ordinal = this.samples.filter((s) => s.label === label).length;
    const sample = {
      id: (this.lastId += 1), label, input: Float32Array.from(input),
      heldOut: ordinal % HOLD_OUT_EVERY === HOLD_OUT_EVERY - 1, features: null,
    };
    this.samples.push(sample);
    return sample;
  }

  // {label: {train, test}} for every label (zeros included), in the model's order.
  counts() {
    const counts = Object.fromEntries(this.labels.map((l) => [l, { train: 0, test: 0 }]));
    for (const s of this.samples) counts[s.label][s.heldOut ? 'test' : 'train'] += 1;
    return counts;
  }

  // {train: [sample], test: [sample]}: the held-out split above.
  split() {
    return { train: this.samples.filter((s) => !s.heldOut), test: this.samples.filter((s) => s.heldOut) };
  }

  // Labels with at least one training sample: the classes the user taught.
  taught() {
    return this.labels.filter((l) => this.samples.some((s) => s.label === l && !s.heldOut));
  }
}

// The recorder keeps a frame's face only if at least `intervalMs` passed since the last one
// it kept: consecutive camera frames (16-33 ms apart) are near-duplicates.
export class Thinner {
  constructor(intervalMs) {
    this.intervalMs = intervalMs;
    this.last = -Infinity;
  }

  // t: ms (performance.now()). True if the frame at t is kept.
  take(t) {
    if (t - this.last < this.intervalMs) return false;
    this.last = t;
    return true;
  }
}

// A model input (floats k/255 in [0, 1]) -> its 8-bit pixels, exactly (k = round(x * 255)).
export function toPixels(input) {
  const out = new Uint8Array(input.length);
  for (let i = 0; i < input.length; i += 1) out[i] = Math.max(0, Math.min(255, Math.round(input[i] * 255)));
  return out;
}

// ---------- the head file ----------

// The model a head belongs to, from metadata.json: {name, source_sha256, labels, features}.
export function modelIdentity(metadata) {
  return {
    name: metadata.name, source_sha256: metadata.export?.source_sha256 ?? null,
    labels: metadata.labels, features: metadata.head?.size ?? null,
  };
}

// A head {W: Float32Array(F*C), row-major [F, C], b: Float32Array(C)} and what it was fitted
// on -> the file's object. info: {method, samples: {label: n}, accuracy: {before, after,
// heldOut}, adapted: ISO date string}. Numbers are the float32 values, which JSON keeps exactly.
export function headToObject(head, model, info) {
  return {
    format: HEAD_FORMAT,
    version: HEAD_VERSION,
    model: { name: model.name, source_sha256: model.source_sha256 },
    labels: model.labels,
    features: model.features,
    W: Array.from(head.W),
    b: Array.from(head.b),
    ...info,
  };
}

// The file's text (or an object read from IndexedDB) -> {head: {W, b}, info: {method,
// samples, accuracy, adapted}}, checked against this page's model. Throws an Error whose
// message says what is wrong (not JSON, another format or version, another model, other
// labels, wrong sizes, numbers that are not finite); nothing is changed by a bad file.
export function headFromObject(data, model) {
  let object = data;
  if (typeof data === 'string') {
    try {
      object = JSON.parse(data);
    } catch {
      throw new Error('this file is not a personal model: it is not JSON');
    }
  }
  if (!object || typeof object !== 'object' || object.format !== HEAD_FORMAT) {
    throw new Error(`this file is not a personal model (expected format "${HEAD_FORMAT}")`);
  }
  if (object.version !== HEAD_VERSION) {
    throw new Error(`this personal model file has version ${object.version}; this page reads version ${HEAD_VERSION}`);
  }
  const sha = object.model?.source_sha256;
  if (object.model?.name !== model.name || sha !== model.source_sha256) {
    throw new Error(`this personal model was adapted for another model (${object.model?.name}, `
      + `${String(sha).slice(0, 12)}); this page runs ${model.name}, ${String(model.source_sha256).slice(0, 12)}`);
  }
  if (JSON.stringify(object.labels) !== JSON.stringify(model.labels)) {
    throw new Error(`this personal model has other labels (${object.labels}) than the page's model (${model.labels})`);
  }
  const C = model.labels.length;
  const F = model.features;
  const numbers = (values, n, name) => {
    if (!Array.isArray(values) || values.length !== n) throw new Error(`the personal model's ${name} must have ${n} numbers`);
    if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new Error(`the personal model's ${name} has values that are not finite numbers`);
    }
    return Float32Array.from(values);
  };
  const head = { W: numbers(object.W, F * C, `W (${F}x${C})`), b: numbers(object.b, C, 'b') };
  const { method = null, samples = {}, accuracy = null, adapted = null } = object;
  return { head, info: { method, samples, accuracy, adapted } };
}

// "your personal model (N samples, adapted <date>)" or "the shipped model": what the page says it uses.
export function describeHead(info) {
  if (!info) return 'the shipped model';
  const n = Object.values(info.samples || {}).reduce((a, b) => a + b, 0);
  const date = info.adapted ? new Date(info.adapted).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : 'at an unknown date';
  return `your personal model (${n} sample${n === 1 ? '' : 's'}, adapted ${date})`;
}
