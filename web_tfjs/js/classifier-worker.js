// The camera's classifier in a Web Worker: while the page's thread grabs frames, detects
// faces and draws, this thread runs the expression CNN on the other CPU core. A classic
// worker (TF.js ships as classic scripts, which module workers cannot importScripts) that
// imports classifier.js with a dynamic import(), so the page and the worker share one
// definition of the model call and its views.
//
// Messages in:  {type: 'load', id, vendor, model, metadata, tta}  -> {type: 'ready', id, backend}
//               {type: 'classify', id, faces: [Float32Array], views: [[k, ...]], personal: [bool] | null}
//                 -> {type: 'result', id, probs: [Float32Array], ms}
//               {type: 'head', id, head: {W, b} | null}  -> {type: 'head', id}  (Classifier.setHead)
//               {type: 'features', id, faces, views} -> {type: 'features', id, features: [Float32Array], ms}
// Any failure answers {type: 'error', id, message}; the page then falls back to its own thread.
let classifier = null;

async function load({ vendor, model, metadata, tta }) {
  importScripts(`${vendor}tfjs/tf-core.min.js`, `${vendor}tfjs/tf-converter.min.js`,
    `${vendor}tfjs/tf-backend-wasm.min.js`);
  const { tf } = self;
  tf.wasm.setWasmPaths(`${vendor}tfjs/`);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend could not start in the worker');
  await tf.ready();
  const { Classifier } = await import('./classifier.js');
  classifier = await Classifier.load(model, metadata, tta);
  // Compile the kernels for one view and for a batch before the first frame.
  const blank = new Float32Array(classifier.size ** 2);
  await classifier.classifyViews([blank], [[0]]);
  await classifier.classifyViews([blank, blank], [[0], [1]]);
  return tf.getBackend();
}

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'load') {
      self.postMessage({ type: 'ready', id: data.id, backend: await load(data) });
    } else if (data.type === 'classify') {
      const t0 = performance.now();
      const probs = await classifier.classifyViews(data.faces, data.views, data.personal);
      self.postMessage({ type: 'result', id: data.id, probs, ms: performance.now() - t0 },
        probs.map((p) => p.buffer));
    } else if (data.type === 'head') {
      classifier.setHead(data.head);
      self.postMessage({ type: 'head', id: data.id });
    } else if (data.type === 'features') {
      const t0 = performance.now();
      const features = await classifier.featureViews(data.faces, data.views);
      self.postMessage({ type: 'features', id: data.id, features, ms: performance.now() - t0 },
        features.map((f) => f.buffer));
    }
  } catch (err) {
    self.postMessage({ type: 'error', id: data.id, message: String(err?.message || err) });
  }
};
