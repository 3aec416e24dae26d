// Copy the few files the page needs from node_modules into vendor/ (committed), so a
// clone serves the page with no npm and no network. After changing package.json:
//   npm install && npm run vendor
//
// TF.js comes as the per-package UMD bundles (one global `tf`, loaded by classic <script>
// tags, no build step): core + converter (graph models) + the cpu, webgl and wasm
// backends. The face detector is BlazeFace ("back" variant, 256x256 input) as converted
// to a TF.js graph model by @vladmandic/human: the same weights that the Python side runs
// in LiteRT as its default detector (emoji_fer/blazeface.py, docs/detectors.md), so both
// find the same faces (see js/detector.js). The timeline chart is uPlot (MIT, small, no
// dependencies; sizes in vendor/README.md), also as a UMD bundle (one global `uPlot`). The personal model's samples zip uses fflate (MIT, no
// dependencies), as an ES module that the page imports only when the user downloads.
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, 'node_modules');
const out = join(here, 'vendor');
const pkgJson = (pkg) => JSON.parse(readFileSync(join(modules, pkg, 'package.json'), 'utf8'));

const files = {
  'tfjs/tf-core.min.js': '@tensorflow/tfjs-core/dist/tf-core.es2017.min.js',
  'tfjs/tf-converter.min.js': '@tensorflow/tfjs-converter/dist/tf-converter.es2017.min.js',
  'tfjs/tf-backend-cpu.min.js': '@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.es2017.min.js',
  'tfjs/tf-backend-webgl.min.js': '@tensorflow/tfjs-backend-webgl/dist/tf-backend-webgl.es2017.min.js',
  'tfjs/tf-backend-wasm.min.js': '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.es2017.min.js',
  // SIMD build (every current browser) and the plain fallback. The threaded build is left
  // out: it needs SharedArrayBuffer, i.e. COOP/COEP headers that `python -m http.server`
  // and most static hosts do not send.
  'tfjs/tfjs-backend-wasm-simd.wasm': '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
  'tfjs/tfjs-backend-wasm.wasm': '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
  'blazeface/blazeface.json': '@vladmandic/human/models/blazeface.json',
  'blazeface/blazeface.bin': '@vladmandic/human/models/blazeface.bin',
  'blazeface/LICENSE': '@vladmandic/human/LICENSE',
  'uplot/uPlot.iife.min.js': 'uplot/dist/uPlot.iife.min.js',
  'uplot/uPlot.min.css': 'uplot/dist/uPlot.min.css',
  'uplot/LICENSE': 'uplot/LICENSE',
  // The personal model's samples download (js/personal-zip.js): fflate's ES module build.
  'fflate/browser.js': 'fflate/esm/browser.js',
  'fflate/LICENSE': 'fflate/LICENSE',
};
// "@scope/name/file" -> "@scope/name"; "name/file" -> "name".
const packageOf = (src) => src.split('/').slice(0, src.startsWith('@') ? 2 : 1).join('/');

const versions = new Set(Object.values(files).filter((f) => f.startsWith('@tensorflow/'))
  .map((f) => pkgJson(packageOf(f)).version));
if (versions.size !== 1) throw new Error(`TF.js packages differ in version (${[...versions]}): pin one version`);

// BlazeFace is fully convolutional, but its graph declares a fixed 256x256 input, which
// TF.js enforces. Free the two spatial sizes so that live video can run it smaller
// (js/detector.js INPUT_SIZE).
function freeInputSize(path) {
  const model = JSON.parse(readFileSync(path, 'utf8'));
  const input = model.modelTopology.node.find((n) => n.op === 'Placeholder');
  const signature = model.userDefinedMetadata.signature.inputs[`${input.name}:0`];
  for (const dims of [input.attr.shape.shape.dim, signature.tensorShape.dim]) {
    dims[1].size = '-1';
    dims[2].size = '-1';
  }
  writeFileSync(path, JSON.stringify(model));
}

rmSync(out, { recursive: true, force: true });
let total = 0;
const rows = [];
for (const [dest, src] of Object.entries(files)) {
  mkdirSync(dirname(join(out, dest)), { recursive: true });
  copyFileSync(join(modules, src), join(out, dest));
  if (dest === 'blazeface/blazeface.json') freeInputSize(join(out, dest));
  const { size } = statSync(join(out, dest));
  total += size;
  const pkg = packageOf(src);
  const { version, license } = pkgJson(pkg);
  rows.push(`| ${dest} | ${pkg} ${version} | ${license} | ${size.toLocaleString('en')} |`);
  console.log(`${(size / 1024).toFixed(0).padStart(6)} KB  vendor/${dest}`);
}
console.log(`${(total / 1024).toFixed(0).padStart(6)} KB  in total`);

// The @tensorflow packages ship no LICENSE file (their package.json says Apache-2.0).
writeFileSync(join(out, 'README.md'), `# vendor/ (written by \`npm run vendor\`; do not edit)

Copied from the npm packages pinned in ../package.json, so that the page runs offline.
BlazeFace is Google MediaPipe's face detector (Apache-2.0), in the TF.js conversion that
@vladmandic/human ships (MIT). The timeline chart is uPlot (MIT). The personal model's
samples zip is written with fflate (MIT).

| file | package | licence | bytes |
|---|---|---|---:|
${rows.join('\n')}
| total | | | ${total.toLocaleString('en')} |
`);
