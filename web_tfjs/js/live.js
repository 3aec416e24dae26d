// The camera's pipeline: faces tracked across frames (tracker.js), one TTA view per
// track and frame (temporal TTA), classification in a Web Worker so that it overlaps
// with detection on the page's thread, and the detector run on every k-th frame with the
// tracks' boxes carried in between.
//
// Per frame: the crops of the current tracks' boxes go to the classifier, each with its
// track's next view; if a detection is due it runs meanwhile on the same frame, and its
// boxes update the tracks for the next frame. With no track yet, the frame is detected
// first, so a face shows up on the first frame it is found.
import { INPUT_SIZE, VENDOR, MODEL, area } from './engine.js';
import { Tracker, framesToNextDetection } from './tracker.js';

// The detector runs on every frame while there is no track, else after as many frames as
// keep the faces' expected drift under MAX_DRIFT box widths at their last measured speed,
// at most MAX_EVERY frames. MAX_DRIFT is the TTA's own shift (2 px of 48, 4 %): a lag the
// model is meant to shrug off. Measured with scripts/bench_web.py, see docs/web.md.
export const MAX_DRIFT = 2 / 48;
export const MAX_EVERY = 6;

// A camera frame as the pipeline reads it: its RGBA pixels (`image`, an ImageData, for the
// crops) and, only when a detection is due, a canvas with the same pixels for the
// detector's scaler (canvas()).
export class Frame {
  constructor(image, ctx = null) {
    this.image = image;
    this.ctx = ctx;
    this.drawn = ctx !== null;
  }

  // A frame from a canvas that already holds the pixels (photos, tests).
  static fromCanvas(ctx) {
    return new Frame(ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height), ctx);
  }

  // A 2D context of the frame's size (made on first use).
  context() {
    this.ctx ??= document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    if (this.ctx.canvas.width !== this.image.width || this.ctx.canvas.height !== this.image.height) {
      Object.assign(this.ctx.canvas, { width: this.image.width, height: this.image.height });
    }
    return this.ctx;
  }

  canvas() {
    if (!this.drawn) {
      this.context().putImageData(this.image, 0, 0);
      this.drawn = true;
    }
    return this.ctx.canvas;
  }
}

// Grabs a video's current frame into one of `count` reused Frames. VideoFrame.copyTo
// converts the camera's YUV to RGBA for much less than drawing the <video> into a canvas
// and reading it back (docs/web.md, "The camera pipeline"); browsers without it (or
// without RGBA output) take the canvas path.
export class FrameGrabber {
  constructor(count) {
    this.frames = Array.from({ length: count }, () => null);
    this.next = 0;
    this.copyTo = typeof VideoFrame !== 'undefined';
  }

  async grab(video) {
    const { videoWidth: width, videoHeight: height } = video;
    const i = this.next;
    this.next = (i + 1) % this.frames.length;
    let frame = this.frames[i];
    if (!frame || frame.image.width !== width || frame.image.height !== height) {
      frame = this.frames[i] = new Frame(new ImageData(width, height));
    }
    frame.drawn = false;
    if (this.copyTo) {
      const snapshot = new VideoFrame(video); // the frame shown now: the awaits below cannot change it
      try {
        const { width: w, height: h } = snapshot.visibleRect;
        if (w !== width || h !== height) throw new Error(`the camera frame is ${w}x${h}, the video ${width}x${height}`);
        await snapshot.copyTo(frame.image.data, { format: 'RGBA' });
        return frame;
      } catch (err) {
        console.warn(`VideoFrame.copyTo is not usable here (${err.message}): drawing the video into a canvas instead`);
        this.copyTo = false;
      } finally {
        snapshot.close();
      }
    }
    const ctx = frame.context();
    ctx.drawImage(video, 0, 0, width, height);
    frame.image = ctx.getImageData(0, 0, width, height);
    frame.drawn = true;
    return frame;
  }
}

// The classifier in classifier-worker.js, with the Classifier's classifyViews() interface.
export class WorkerClassifier {
  static async load(metadata, tta) {
    const worker = new Worker(new URL('./classifier-worker.js', import.meta.url));
    const proxy = new WorkerClassifier(worker);
    await proxy.call({ type: 'load', vendor: VENDOR.href, model: new URL('model.json', MODEL).href, metadata, tta });
    return proxy;
  }

  constructor(worker) {
    this.worker = worker;
    this.pending = new Map(); // id -> {resolve, reject}
    this.lastId = 0;
    this.ms = 0; // the worker's own time for the latest call
    worker.onmessage = ({ data }) => {
      const call = this.pending.get(data.id);
      if (!call) return; // failed already (worker error)
      this.pending.delete(data.id);
      if (data.type === 'error') call.reject(new Error(`classifier worker: ${data.message}`));
      else call.resolve(data);
    };
    worker.onerror = (event) => {
      event.preventDefault(); // handled: every pending call fails with the message
      for (const call of this.pending.values()) call.reject(new Error(`classifier worker: ${event.message}`));
      this.pending.clear();
    };
  }

  call(message, transfer = []) {
    const id = (this.lastId += 1);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  async classifyViews(faces, views, personal = null) {
    const reply = await this.call({ type: 'classify', faces, views, personal }, faces.map((f) => f.buffer));
    this.ms = reply.ms;
    return reply.probs;
  }

  get busy() {
    return this.pending.size;
  }

  terminate() {
    this.worker.terminate();
  }
}

// Several classifier workers, each call going to the least busy one. One worker is one
// CPU core at most, and one view per face and frame of a 60 frames/s camera keeps a
// core busy: a single worker would be the bottleneck while the other core idles
// (docs/web.md, "The camera pipeline"; docs/benchmarks.md, "Figures behind design choices").
export class WorkerPool {
  static async load(size, metadata, tta) {
    return new WorkerPool(await Promise.all(Array.from({ length: size }, () => WorkerClassifier.load(metadata, tta))));
  }

  constructor(workers) {
    this.workers = workers;
    this.ms = 0;
  }

  async classifyViews(faces, views, personal = null) {
    const worker = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const probs = await worker.classifyViews(faces, views, personal);
    this.ms = worker.ms;
    return probs;
  }

  terminate() {
    this.workers.forEach((w) => w.terminate());
  }
}

// Classifier workers by default: one per core, at most 2 (the page's thread needs the rest).
export const WORKERS = Math.max(1, Math.min(2, navigator.hardwareConcurrency || 1));

export class LivePipeline {
  // engine: the page's Engine (detector, crops, the result schema); classifier: a
  // WorkerPool, or engine.classifier to classify on the page's thread;
  // detectEvery: run the detector on every k-th frame instead (for measurements).
  constructor(engine, classifier, { detectEvery } = {}) {
    Object.assign(this, { engine, classifier, detectEvery });
    // The detector's input side: INPUT_SIZE.video for a camera's large faces; call mode
    // sets INPUT_SIZE.photo, for the small faces of a call's grid (app.js).
    this.detectSize = INPUT_SIZE.video;
    // Whether the main face is the user's own (the camera's self view, app.js): only then does
    // a personal head (personal.js) classify it. Everyone else keeps the shipped model.
    this.selfView = true;
    this.workers = classifier instanceof WorkerPool ? classifier.workers.length : 0;
    this.worker = this.workers > 0;
    this.done = Promise.resolve(); // the previous frame's result: results leave in frame order
    this.tracker = new Tracker(engine.classifier.views);
    this.reset();
  }

  // Creates the pipeline with `workers` classifier workers, or on the page's thread if
  // workers is 0 or they cannot start (the reason is kept in `fallback`).
  static async create(engine, { workers = WORKERS, detectEvery } = {}) {
    let classifier = engine.classifier;
    let fallback = workers ? null : 'turned off (?workers=0)';
    if (workers) {
      try {
        classifier = await WorkerPool.load(workers, engine.metadata, engine.tta);
      } catch (err) {
        fallback = String(err.message || err);
        console.warn(`classifying on the page's thread: ${fallback}`);
      }
    }
    const live = new LivePipeline(engine, classifier, { detectEvery });
    live.fallback = fallback;
    return live;
  }

  reset() {
    this.tracker.reset();
    this.frames = 0;
    this.nextDetection = 0; // the frame number of the next detection
    this.lastDetection = 0;
  }

  // A detection of the frame numbered `frame` (Engine.detect's faces): the tracks move, and
  // the next detection is scheduled from how far they moved since the last one.
  detected(faces, frame) {
    this.tracker.update(faces.map((f) => f.box), faces.map((f) => f.keypoints));
    this.nextDetection = frame + (this.detectEvery
      || framesToNextDetection(this.tracker.shift, frame - this.lastDetection, MAX_DRIFT, MAX_EVERY));
    this.lastDetection = frame;
  }

  // One camera Frame -> the result schema of Engine.analyze, each face with its `track` id
  // and `views` (how many TTA views its probabilities average). Faces are the tracks
  // classified in this frame, largest first. Several frames may be in flight: the crops go
  // to the worker before this frame's detection runs.
  async process(frame) {
    const previous = this.done;
    let finished;
    this.done = new Promise((resolve) => { finished = resolve; });
    try {
      const result = await this.analyze(frame);
      await previous;
      return result;
    } finally {
      finished();
    }
  }

  async analyze(frame) {
    const t0 = performance.now();
    const number = this.frames;
    this.frames += 1;
    const { width, height } = frame.image;
    const detect = () => this.engine.detect(frame.canvas(), width, height, this.detectSize);
    const due = number >= this.nextDetection || this.tracker.tracks.length === 0;
    let detectMs = 0;
    let detected = false;
    if (due && this.tracker.tracks.length === 0) {
      this.detected(await detect(), number);
      detectMs = performance.now() - t0;
      detected = true;
    }
    const t1 = performance.now();
    // Largest face first, as every result lists them. Each crop is aligned by its track's
    // eyes: those of the detection that gave its box (the tracker carries them together).
    const jobs = [...this.tracker.tracks].sort((a, b) => area(b.box) - area(a.box))
      .map((track) => ({ track, box: track.box, keypoints: track.keypoints, view: track.take() }));
    const crops = this.engine.crops(frame.image, jobs);
    // A listener (the personal model's recorder) reads the model inputs here, largest face first,
    // before they go to a worker: it must copy what it keeps (their buffers are transferred).
    this.onCrops?.(crops, jobs.map((j) => j.track.id), number);
    const personal = jobs.map((_, i) => this.selfView && i === 0);
    const classified = jobs.length
      ? this.classifier.classifyViews(crops, jobs.map((j) => [j.view]), personal)
      : Promise.resolve([]);
    if (due && !detected) { // on this thread while the worker classifies
      const t2 = performance.now();
      this.nextDetection = Infinity; // this detection is in progress: no other frame starts one
      this.detected(await detect(), number);
      detectMs = performance.now() - t2;
    }
    const probs = await classified;
    const classifyMs = performance.now() - t1;
    jobs.forEach(({ track, view }, i) => track.record(view, probs[i]));
    const faces = jobs.map(({ track, box, keypoints }) => this.engine.face(box, track.mean(),
      { ...(keypoints ? { keypoints } : {}), track: track.id, views: track.views }));
    return {
      width,
      height,
      faces,
      message: faces.length ? null : 'no face found',
      backend: this.engine.backend,
      tta: this.engine.tta,
      worker: this.worker,
      workers: this.workers,
      ms: { detect: detectMs, classify: classifyMs, worker: this.worker ? this.classifier.ms : classifyMs, total: performance.now() - t0 },
    };
  }
}
