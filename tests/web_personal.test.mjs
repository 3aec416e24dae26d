// node --test tests/web_personal.test.mjs: the personal model's DOM-free logic
// (web_tfjs/js/personal-data.js, personal-zip.js): the stratified held-out split, the
// recorder's thinning, pixels, the head file's round trip and its validation, and the
// samples zip's layout and PNGs (decoded here with fflate's inflate).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unzipSync, unzlibSync } from '../web_tfjs/vendor/fflate/browser.js';
import {
  HOLD_OUT_EVERY, SampleSet, Thinner, describeHead, headFromObject, headToObject, modelIdentity, toPixels,
} from '../web_tfjs/js/personal-data.js';
import { crc32, grayPNG, samplePath, samplesZip } from '../web_tfjs/js/personal-zip.js';

const LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
const METADATA = { name: 'emoji_fer', labels: LABELS, export: { source_sha256: 'ab'.repeat(32) }, head: { size: 5 } };
const MODEL = modelIdentity(METADATA);
const input = (k) => Float32Array.from({ length: 48 * 48 }, (_, i) => Math.fround(((i + k) % 256) * Math.fround(1 / 255)));

function someHead() {
  const W = Float32Array.from({ length: 5 * 7 }, (_, i) => Math.fround(Math.sin(i) / 3));
  const b = Float32Array.from({ length: 7 }, (_, i) => Math.fround(0.1 * i - 0.3));
  return { W, b };
}

test('every 4th sample of each label is held out, whatever the order of labels', () => {
  const set = new SampleSet(LABELS);
  const order = [];
  for (let i = 0; i < 10; i += 1) order.push('happy', i % 2 ? 'sad' : 'happy');
  for (const label of order) set.add(label, input(0));
  const { train, test: held } = set.split();
  const happy = set.samples.filter((s) => s.label === 'happy');
  const sad = set.samples.filter((s) => s.label === 'sad');
  assert.deepEqual(happy.map((s) => s.heldOut), happy.map((_, i) => i % HOLD_OUT_EVERY === HOLD_OUT_EVERY - 1));
  assert.deepEqual(sad.map((s) => s.heldOut), sad.map((_, i) => i % HOLD_OUT_EVERY === 3));
  assert.equal(train.length + held.length, 20);
  assert.equal(held.length, Math.floor(15 / 4) + Math.floor(5 / 4));
  assert.deepEqual(set.counts().happy, { train: 12, test: 3 });
  assert.deepEqual(set.counts().angry, { train: 0, test: 0 });
  assert.deepEqual(set.taught(), ['happy', 'sad']);
  assert.deepEqual(new Set(set.samples.map((s) => s.id)).size, 20);
});

test('a sample copies its input and must have a known label', () => {
  const set = new SampleSet(LABELS);
  const x = input(3);
  const s = set.add('fear', x);
  x[0] = 9;
  assert.notEqual(s.input[0], 9);
  assert.throws(() => set.add('bored', x), /unknown label "bored"/);
  set.clear();
  assert.equal(set.size, 0);
});

test('the recorder keeps frames at least the interval apart', () => {
  const thinner = new Thinner(200);
  const kept = [0, 16, 33, 199, 200, 250, 399, 401, 1000].filter((t) => thinner.take(t));
  assert.deepEqual(kept, [0, 200, 401, 1000]);
});

test('model inputs go back to their exact 8-bit pixels', () => {
  const pixels = Uint8Array.from({ length: 256 }, (_, i) => i);
  const floats = Float32Array.from(pixels, (p) => Math.fround(p * Math.fround(1 / 255)));
  assert.deepEqual(toPixels(floats), pixels);
});

test('a head file round-trips its float32 values exactly', () => {
  const head = someHead();
  const info = { method: 'finetune', samples: { happy: 20, sad: 19 }, accuracy: { before: 0.5, after: 1, heldOut: 9 }, adapted: '2026-12-05T12:00:00.000Z' };
  const text = JSON.stringify(headToObject(head, MODEL, info));
  const back = headFromObject(text, MODEL);
  assert.deepEqual(back.head.W, head.W);
  assert.deepEqual(back.head.b, head.b);
  assert.deepEqual(back.info, info);
  assert.match(describeHead(back.info), /^your personal model \(39 samples, adapted .*2026/);
  assert.equal(describeHead(null), 'the shipped model');
});

test('a bad head file is refused with a message that says why', () => {
  const object = headToObject(someHead(), MODEL, { method: 'finetune', samples: {}, accuracy: null, adapted: null });
  const cases = [
    ['{"format": "emoji-fer-personal-head", "W": [1,', /not JSON/],
    [JSON.stringify({ ...object, format: 'something-else' }), /not a personal model/],
    [JSON.stringify({ ...object, version: 2 }), /version 2.*version 1/],
    [JSON.stringify({ ...object, model: { ...object.model, source_sha256: 'cd'.repeat(32) } }), /another model/],
    [JSON.stringify({ ...object, labels: [...LABELS].reverse() }), /other labels/],
    [JSON.stringify({ ...object, W: object.W.slice(1) }), /W \(5x7\) must have 35 numbers/],
    [JSON.stringify({ ...object, b: [...object.b.slice(1), 'x'] }), /b has values that are not finite/],
    [JSON.stringify({ ...object, b: [...object.b.slice(1), null] }), /not finite/],
    ['[]', /not a personal model/],
    ['null', /not a personal model/],
  ];
  for (const [text, message] of cases) assert.throws(() => headFromObject(text, MODEL), message, text.slice(0, 80));
});

test('PNGs are 8-bit grayscale with valid chunks and the exact pixels', () => {
  const pixels = Uint8Array.from({ length: 48 * 48 }, (_, i) => (i * 7) % 256);
  const png = grayPNG(pixels, 48, 48);
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(png.buffer);
  const chunks = {};
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    assert.equal(view.getUint32(at + 8 + length), crc32(png.subarray(at + 4, at + 8 + length)), `${type} CRC`);
    chunks[type] = png.subarray(at + 8, at + 8 + length);
    at += 12 + length;
  }
  assert.deepEqual(Object.keys(chunks), ['IHDR', 'IDAT', 'IEND']);
  assert.deepEqual([...chunks.IHDR], [0, 0, 0, 48, 0, 0, 0, 48, 8, 0, 0, 0, 0]);
  const raw = unzlibSync(chunks.IDAT);
  assert.equal(raw.length, 48 * 49);
  for (let y = 0; y < 48; y += 1) {
    assert.equal(raw[y * 49], 0);
    assert.deepEqual(raw.subarray(y * 49 + 1, (y + 1) * 49), pixels.subarray(y * 48, (y + 1) * 48));
  }
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926); // the CRC-32 check value
  assert.throws(() => grayPNG(pixels, 48, 47), /2304 pixels for a 48x47 image/);
});

test('the samples zip has the FER-2013 feedback layout, split as the samples', () => {
  const set = new SampleSet(LABELS);
  for (let i = 0; i < 9; i += 1) set.add(i % 3 ? 'happy' : 'disgust', input(i));
  const files = unzipSync(samplesZip(set.samples, 48, 'web1'));
  const names = Object.keys(files).sort();
  assert.deepEqual(names, set.samples.map((s) => samplePath(s, 'web1')).sort());
  for (const s of set.samples) {
    const name = samplePath(s, 'web1');
    assert.equal(name, s.heldOut ? `test/${s.label}/FeedbackTest_web1-${s.id}.png` : `train/${s.label}/Feedback_web1-${s.id}.png`);
    assert.deepEqual(files[name], grayPNG(toPixels(s.input), 48, 48));
  }
  assert.equal(names.filter((n) => n.startsWith('test/')).length, set.split().test.length);
});
