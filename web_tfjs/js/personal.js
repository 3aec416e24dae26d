// The personal model: the shipped classifier's last layer (the head: logits = features · W + b
// on the 320 penultimate features, metadata.head) adapted in the tab to the user's own
// labelled samples (personal-data.js), and then used for the user's own face: the main face
// of the camera's self view (live.js selfView). Photos, shared screens, videos and call mode
// keep the shipped model, which a head fitted to one face makes worse on everyone else's.
// No DOM (personal-panel.js is the page's side).
//
// The story: each sample's features are computed once, for all of the model's TTA views,
// when it is collected (featuresReady) -> adapt() fits a new head from the shipped one on
// the training share and measures the held-out share before and after -> use() puts the
// head into the page's classifier and every worker's; use(null) gives back the graph's own
// output (the shipped model, exactly).
//
// Two ways to fit a head, measured on the same held-out samples (docs/personal-model.md):
// - 'finetune': W, b start at the shipped weights and follow Adam on the class-balanced
//   cross-entropy of every view's features, plus PULL * |(W, b) - (W0, b0)|^2, which pulls
//   what nobody taught (the untaught classes, other faces) toward the shipped model (only
//   partly: other people's faces keep their top-1 about 2 times in 3, docs/personal-model.md);
// - 'prototypes': a nearest-class-mean (shared isotropic Gaussian) model of the taught
//   classes added to the shipped logits; also linear in the features, so also a (W, b).
import { SampleSet, modelIdentity } from './personal-data.js';
import { argmax } from './timeline.js';

const { tf } = globalThis;

export const METHODS = ['finetune', 'prototypes'];
export const DEFAULT_METHOD = 'finetune';
const STEPS = 300; // Adam steps over the whole training set (full batch); 150 fell short with the FER+ model (docs/personal-model.md)
const LEARNING_RATE = 0.01;
// The weight of the squared distance to the shipped head: 1e-2 held the taught class back,
// 1e-3 did on 2 of 5 recordings, 3e-4 never did (docs/personal-model.md).
const PULL = 3e-4;
const PROTOTYPE_SCALE = 1; // the prototypes' logits are multiplied by this
// Samples per feature call (x 8 views each): a short call, so that a worker is soon back
// for the camera (the features' cost per sample: docs/personal-model.md).
const FEATURE_BATCH = 2;

// softmax(f · W + b) of each view, averaged over a sample's views (as the page averages
// the TTA views' probabilities): features Float32Array(V*F) -> Float32Array(C).
export function headProbabilities(head, features, F, C) {
  const V = features.length / F;
  const mean = new Float32Array(C);
  const logits = new Float64Array(C);
  for (let v = 0; v < V; v += 1) {
    for (let c = 0; c < C; c += 1) {
      let z = head.b[c];
      for (let i = 0; i < F; i += 1) z += features[v * F + i] * head.W[i * C + c];
      logits[c] = z;
    }
    const max = Math.max(...logits);
    let sum = 0;
    for (let c = 0; c < C; c += 1) sum += (logits[c] = Math.exp(logits[c] - max));
    for (let c = 0; c < C; c += 1) mean[c] += logits[c] / sum / V;
  }
  return mean;
}

// Share of samples whose top-1 under `head` is their label: a number in [0, 1], or null for no samples.
export function accuracy(head, samples, labels, F) {
  if (!samples.length) return null;
  const C = labels.length;
  const right = samples.filter((s) => {
    const p = headProbabilities(head, s.features, F, C);
    return labels[argmax(p)] === s.label;
  }).length;
  return right / samples.length;
}

// Fine-tunes (W, b) from `shipped` on the training samples (with features); onProgress(share
// done, 0..1) between steps; steps, learningRate, pull: the defaults above unless given
// (measurements). Returns {W: Float32Array(F*C), b: Float32Array(C)}.
export async function fineTune(train, shipped, labels, F,
  { steps = STEPS, learningRate = LEARNING_RATE, pull = PULL, onProgress = () => {} } = {}) {
  const C = labels.length;
  const V = train[0].features.length / F;
  const perLabel = Object.fromEntries(labels.map((l) => [l, train.filter((s) => s.label === l).length]));
  const x = new Float32Array(train.length * V * F);
  const y = new Float32Array(train.length * V * C);
  const weight = new Float32Array(train.length * V);
  train.forEach((s, i) => {
    x.set(s.features, i * V * F);
    for (let v = 0; v < V; v += 1) {
      y[(i * V + v) * C + labels.indexOf(s.label)] = 1;
      weight[i * V + v] = 1 / (perLabel[s.label] * V); // every taught class weighs the same
    }
  });
  const taught = labels.filter((l) => perLabel[l] > 0).length;
  const [X, Y, w, W0, b0] = [tf.tensor2d(x, [train.length * V, F]), tf.tensor2d(y, [train.length * V, C]),
    tf.tensor2d(weight.map((v) => v / taught), [train.length * V, 1]), tf.tensor2d(shipped.W, [F, C]), tf.tensor1d(shipped.b)];
  // The gradient is written out (TF.js's core bundle has no autodiff gradients registered):
  // d/dlogits of the weighted cross-entropy is w * (softmax - onehot), and the pull adds
  // 2 * PULL * (W - W0). Adam (Kingma & Ba 2015) with its usual betas.
  let W = tf.clone(W0);
  let b = tf.clone(b0);
  const zeros = () => [tf.zerosLike(W0), tf.zerosLike(b0)];
  let [mW, mb] = zeros();
  let [vW, vb] = zeros();
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  try {
    for (let step = 1; step <= steps; step += 1) {
      const next = tf.tidy(() => {
        const g = tf.mul(tf.sub(tf.softmax(tf.add(tf.matMul(X, W), b)), Y), w);
        const gW = tf.add(tf.matMul(X, g, true, false), tf.mul(2 * pull, tf.sub(W, W0)));
        const gb = tf.add(tf.sum(g, 0), tf.mul(2 * pull, tf.sub(b, b0)));
        const adam = (param, grad, m, v) => {
          const m1 = tf.add(tf.mul(beta1, m), tf.mul(1 - beta1, grad));
          const v1 = tf.add(tf.mul(beta2, v), tf.mul(1 - beta2, tf.square(grad)));
          const update = tf.div(tf.div(m1, 1 - beta1 ** step), tf.add(tf.sqrt(tf.div(v1, 1 - beta2 ** step)), eps));
          return [tf.sub(param, tf.mul(learningRate, update)), m1, v1];
        };
        return [...adam(W, gW, mW, vW), ...adam(b, gb, mb, vb)];
      });
      tf.dispose([W, mW, vW, b, mb, vb]);
      [W, mW, vW, b, mb, vb] = next;
      if (step % 10 === 0) {
        onProgress(step / steps);
        await new Promise((resolve) => setTimeout(resolve, 0)); // let the page draw the progress
      }
    }
    return { W: W.dataSync().slice(), b: b.dataSync().slice() };
  } finally {
    tf.dispose([X, Y, w, W0, b0, W, b, mW, mb, vW, vb]);
  }
}

// The shipped head plus a nearest-class-mean model of the taught classes (at least two):
// for a taught class c, logit_c += g_c(f) - mean over taught classes of g(f), with
// g_c(f) = (f · mu_c - |mu_c|^2 / 2) / s2 (mu_c: the class's mean features, s2: the mean
// per-feature variance around them). Linear in f, so a (W, b). Throws with one taught class.
export function prototypeHead(train, shipped, labels, F, { scale = PROTOTYPE_SCALE } = {}) {
  const C = labels.length;
  const V = train[0].features.length / F;
  const taught = labels.filter((l) => train.some((s) => s.label === l));
  if (taught.length < 2) throw new Error('class prototypes need samples of at least two expressions');
  const mu = Object.fromEntries(taught.map((l) => {
    const m = new Float64Array(F);
    const own = train.filter((s) => s.label === l);
    for (const s of own) for (let j = 0; j < V * F; j += 1) m[j % F] += s.features[j] / (own.length * V);
    return [l, m];
  }));
  let s2 = 0;
  for (const s of train) for (let j = 0; j < V * F; j += 1) s2 += (s.features[j] - mu[s.label][j % F]) ** 2;
  s2 = Math.max(s2 / (train.length * V * F), 1e-6) / scale;
  const W = Float32Array.from(shipped.W);
  const b = Float32Array.from(shipped.b);
  const bias = (l) => -mu[l].reduce((n, v) => n + v * v, 0) / 2 / s2;
  const meanBias = taught.reduce((n, l) => n + bias(l), 0) / taught.length;
  for (const l of taught) {
    const c = labels.indexOf(l);
    b[c] += bias(l) - meanBias;
    for (let i = 0; i < F; i += 1) {
      const meanMu = taught.reduce((n, t) => n + mu[t][i], 0) / taught.length;
      W[i * C + c] += (mu[l][i] - meanMu) / s2;
    }
  }
  return { W, b };
}

export class PersonalModel {
  // engine: the page's Engine; live: its LivePipeline (its classifier is a WorkerPool, or the
  // engine's own classifier when there are no workers).
  constructor(engine, live) {
    this.engine = engine;
    this.live = live;
    this.labels = engine.labels;
    this.model = modelIdentity(engine.metadata);
    this.F = engine.metadata.head.size;
    this.shipped = engine.classifier.shippedHead();
    this.samples = new SampleSet(this.labels);
    this.active = null; // {head, info} of the personal head in use, or null: the shipped model
    this.queue = Promise.resolve(); // the features still being computed
    this.featureMs = 0; // total time spent computing features
  }

  // Adds a labelled sample (label, Float32Array model input) and, unless `later` (the
  // recorder: the camera needs the CPU meanwhile; see schedule()), computes its features in
  // the background. Returns the sample.
  add(label, input, { later = false } = {}) {
    const sample = this.samples.add(label, input);
    if (!later) this.schedule();
    return sample;
  }

  // Computes the features still missing, in the background.
  schedule() {
    // A failure is only logged here: featuresReady() computes what is missing again and says it.
    this.queue = this.queue.then(() => this.computeFeatures()).catch((err) => console.warn(err));
  }

  clear() {
    this.samples.clear();
  }

  // Computes the features of every sample that has none, FEATURE_BATCH at a time, all of the
  // model's TTA views: in the classifier workers, one batch per worker at once, each to the
  // least busy (the camera's frames go to the others), or on the page's thread without
  // workers. onProgress(done, total) after each batch.
  async computeFeatures(onProgress = () => {}) {
    const { classifier } = this.engine;
    const all = Array.from({ length: classifier.views }, (_, k) => k);
    const pool = this.live.classifier.workers ?? [];
    const featureViews = async (faces, views) => {
      if (!pool.length) return classifier.featureViews(faces, views);
      const worker = pool.reduce((a, b) => (b.busy < a.busy ? b : a));
      return (await worker.call({ type: 'features', faces, views })).features; // the inputs are copied, not moved
    };
    const run = async (batch) => {
      const features = await featureViews(batch.map((s) => s.input), batch.map(() => all));
      batch.forEach((s, i) => { s.features = features[i]; });
      onProgress(this.samples.samples.filter((s) => s.features).length, this.samples.size);
    };
    for (;;) {
      const todo = this.samples.samples.filter((s) => !s.features);
      if (!todo.length) return;
      const batches = Array.from({ length: Math.min(Math.max(1, pool.length), Math.ceil(todo.length / FEATURE_BATCH)) },
        (_, i) => todo.slice(i * FEATURE_BATCH, (i + 1) * FEATURE_BATCH));
      const t0 = performance.now();
      await Promise.all(batches.map(run));
      this.featureMs += performance.now() - t0;
    }
  }

  // Waits until every sample has its features.
  async featuresReady(onProgress) {
    await this.queue;
    await this.computeFeatures(onProgress);
  }

  // Fits a head on the training share: {head, info: {method, samples: {label: n},
  // accuracy: {before, after, heldOut: n}, adapted, ms: {train}}}. Accuracies are
  // shares of the held-out samples right under the shipped head and the new one (null
  // without held-out samples). Throws if no expression has training samples.
  async adapt({ method = DEFAULT_METHOD, onProgress = () => {} } = {}) {
    if (!METHODS.includes(method)) throw new Error(`unknown method "${method}"; expected ${METHODS.join(' or ')}`);
    await this.featuresReady();
    const { train, test } = this.samples.split();
    if (!train.length) throw new Error('record or add some samples first');
    const t0 = performance.now();
    const head = method === 'finetune' ? await fineTune(train, this.shipped, this.labels, this.F, { onProgress })
      : prototypeHead(train, this.shipped, this.labels, this.F);
    const trainMs = performance.now() - t0;
    onProgress(1);
    const samples = Object.fromEntries(this.labels.map((l) => [l, this.samples.samples.filter((s) => s.label === l).length])
      .filter(([, n]) => n > 0));
    return {
      head,
      info: {
        method,
        samples,
        accuracy: { before: accuracy(this.shipped, test, this.labels, this.F), after: accuracy(head, test, this.labels, this.F), heldOut: test.length },
        adapted: new Date().toISOString(),
        ms: { train: trainMs, features: this.featureMs },
      },
    };
  }

  // Puts a head ({head, info}, as adapt() or headFromObject() give it) into the page's
  // classifier and every worker's, or the shipped model back (null); the classifiers use it
  // for the faces a call marks as personal (Classifier.classifyViews). The camera's tracks
  // average their latest 8 views, so its scores change over the next 8 frames.
  async use(personal) {
    const head = personal ? personal.head : null;
    const pool = this.live.classifier.workers ?? [];
    await Promise.all(pool.map((worker) => worker.call({ type: 'head', head })));
    this.engine.classifier.setHead(head);
    this.active = personal;
  }
}
