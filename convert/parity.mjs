// Run an exported TF.js graph model with TensorFlow.js itself, in Node, on a batch of faces.
//
// node convert/parity.mjs MODEL_DIR FACES.f32 PROBS.f32 [wasm|cpu]
//   FACES.f32: N x 48 x 48 x 1 float32 little-endian, values in [0, 1]
//   PROBS.f32: written, N x 7 float32 probabilities
// Prints one JSON line: {backend, n, ms_per_face}.
//
// @tensorflow/tfjs-node would need a libtensorflow download at install time (not from a
// package registry), so the model is loaded from files by hand and run on the wasm
// backend, the one the page uses; the pure-JS cpu backend is the fallback.

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

const BATCH = 64;

async function loadGraphModelFromDir(dir) {
  const modelJSON = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
  const loadWeights = async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    const buffers = manifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dir, p))));
    const data = Buffer.concat(buffers);
    return [specs, data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)];
  };
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJSON, loadWeights);
  return tf.loadGraphModel(tf.io.fromMemory(artifacts));
}

async function useBackend(name) {
  if (name === "wasm") {
    const wasmMain = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
    setWasmPaths(join(dirname(wasmMain), "/"));
  }
  await tf.setBackend(name);
  await tf.ready();
}

async function main() {
  const [modelDir, facesPath, probsPath, backend = "wasm"] = process.argv.slice(2);
  await useBackend(backend);
  const model = await loadGraphModelFromDir(modelDir);
  const raw = readFileSync(facesPath);
  const faces = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const size = 48 * 48;
  const n = faces.length / size;
  const probs = new Float32Array(n * 7);
  const start = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    const m = Math.min(BATCH, n - i);
    const out = tf.tidy(() => model.predict(tf.tensor4d(faces.subarray(i * size, (i + m) * size), [m, 48, 48, 1])));
    probs.set(await out.data(), i * 7);
    out.dispose();
  }
  const ms = performance.now() - start;
  writeFileSync(probsPath, Buffer.from(probs.buffer));
  console.log(JSON.stringify({ backend: tf.getBackend(), n, ms_per_face: ms / n }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
