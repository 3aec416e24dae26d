// The user's samples as one zip in the FER-2013 folder layout that `python -m train
// --extra-data DIR` reads (emoji_fer/fer2013.py load_feedback, the layout of
// emoji_fer/feedback/export.py export_folder): train/<label>/Feedback_<id>.png and the held-out
// share test/<label>/FeedbackTest_<id>.png, each a 48x48 8-bit grayscale PNG of the model
// input. No DOM: node can run it (tests/web_personal.test.mjs). The page imports this
// module only when the user downloads, so fflate (vendor/fflate) costs nothing before.
import { zipSync, zlibSync } from '../vendor/fflate/browser.js';
import { toPixels } from './personal-data.js';

// CRC-32 (ISO 3309, as PNG chunks and zip use), table-driven.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

// PNG of a width x height 8-bit grayscale image (Uint8Array, row-major): colour type 0,
// no filtering (filter byte 0 on each row), zlib-deflated by fflate.
export function grayPNG(pixels, width, height) {
  if (pixels.length !== width * height) throw new Error(`${pixels.length} pixels for a ${width}x${height} image`);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, grayscale, deflate, adaptive filters, no interlace
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y += 1) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const parts = [new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header),
    chunk('IDAT', zlibSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    png.set(p, offset);
    offset += p.length;
  }
  return png;
}

// The zip's path of a sample ({id, label, heldOut}); `session` keeps the names of two
// downloads apart, should someone merge their folders.
export function samplePath(sample, session) {
  return sample.heldOut ? `test/${sample.label}/FeedbackTest_${session}-${sample.id}.png`
    : `train/${sample.label}/Feedback_${session}-${sample.id}.png`;
}

// samples: [{id, label, heldOut, input: Float32Array(size*size)}] -> the zip's bytes
// (Uint8Array). PNGs are stored as they are (already deflated); size: the input side (48).
export function samplesZip(samples, size, session) {
  const files = {};
  for (const s of samples) files[samplePath(s, session)] = [grayPNG(toPixels(s.input), size, size), { level: 0 }];
  return zipSync(files);
}
