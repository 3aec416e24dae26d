// Unit tests of web_tfjs/js/timeline.js in Node (no browser): `node --test tests/web_timeline.test.mjs`.
// tests/test_web.py runs them, and also compares the module's CSV, summary and smoothing
// with emoji_fer/timeline.py on the same rows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { DEFAULT_RATE, PAGE_MAX_ROWS, Sampler, Timeline, ema, formatFixed } from '../web_tfjs/js/timeline.js';

const { labels } = JSON.parse(readFileSync(new URL('../web_tfjs/model/metadata.json', import.meta.url), 'utf8'));
const HAPPY = [0.05, 0.0, 0.05, 0.7, 0.05, 0.05, 0.1];
const SAD = [0.05, 0.0, 0.05, 0.1, 0.6, 0.05, 0.15];
const result = (probs) => ({
  faces: probs ? [{ box: [0, 0, 10, 10], scores: Object.fromEntries(labels.map((l, i) => [l, probs[i]])), top: [] },
    { box: [0, 0, 5, 5], scores: {}, top: [] }] : [],
});

function sample() {
  const tl = new Timeline(labels);
  [HAPPY, HAPPY, null, SAD, HAPPY].forEach((probs, i) => tl.addResult(i * 0.5, result(probs)));
  return tl;
}

test('CSV: header in label order, 3 and 6 decimals, empty cells without a face, CRLF', () => {
  const csv = sample().toCSV();
  assert.ok(csv.endsWith('\r\n'));
  const lines = csv.split('\r\n').slice(0, -1);
  assert.equal(lines[0], `time_s,faces,person,${labels.join(',')}`);
  assert.equal(lines[0], 'time_s,faces,person,angry,disgust,fear,happy,sad,surprise,neutral');
  assert.deepEqual(lines.slice(1).map((l) => l.split(',')[0]), ['0.000', '0.500', '1.000', '1.500', '2.000']);
  assert.equal(lines[1], '0.000,2,1,0.050000,0.000000,0.050000,0.700000,0.050000,0.050000,0.100000');
  assert.equal(lines[3], '1.000,0,,,,,,,,'); // recorded, not dropped, not filled in
  assert.equal(new Timeline(labels).toCSV(), 'time_s,faces,person,angry,disgust,fear,happy,sad,surprise,neutral\r\n');
});

test('rows: no-face rows have null probabilities', () => {
  const rows = sample().rows();
  assert.equal(rows.length, 5);
  assert.deepEqual(Object.keys(rows[0]), ['time_s', 'faces', 'person', ...labels]);
  assert.equal(rows[0].person, 1); // no track id: the main face is person 1
  assert.equal(rows[2].faces, 0);
  assert.equal(rows[2].person, null);
  assert.ok(labels.every((l) => rows[2][l] === null));
  assert.equal(rows[3].sad, 0.6);
});

test('summary: shares of the rows with a face, dominant, no-face count', () => {
  const s = sample().summary();
  assert.deepEqual([s.samples, s.with_face, s.no_face, s.duration_s], [5, 4, 1, 2]);
  assert.equal(s.dominant, 'happy');
  assert.equal(s.share.happy, 0.75);
  assert.equal(s.share.sad, 0.25);
  assert.deepEqual(Object.keys(s.share), labels);
  const empty = new Timeline(labels).summary();
  assert.equal(empty.dominant, null);
  assert.equal(empty.samples, 0);
  const noFace = new Timeline(labels);
  noFace.add(0, 0);
  assert.equal(noFace.summary().dominant, null);
  assert.equal(noFace.summary().no_face, 1);
});

test('rows need probabilities when a face is counted, and times must not go back', () => {
  const tl = new Timeline(labels);
  assert.throws(() => tl.add(0, 1, null), TypeError);
  tl.add(1, 0);
  assert.throws(() => tl.add(0.5, 0), RangeError);
  assert.throws(() => tl.add(2, 1, [1, 0]), RangeError);
});

test('call mode: one row per person, the person is the track id, a sample is the rows of one time', () => {
  const face = (probs, track) => ({ box: [0, 0, 10, 10], scores: Object.fromEntries(labels.map((l, i) => [l, probs[i]])), track });
  const tl = new Timeline(labels);
  tl.addResult(0, { faces: [face(HAPPY, 3), face(SAD, 1)] }, { everyone: true });
  tl.addResult(0.5, { faces: [] }, { everyone: true });
  tl.addResult(1, { faces: [face(SAD, 3), face(SAD, 1), face(HAPPY, 4)] }, { everyone: true });
  tl.addResult(1.5, { faces: [face(HAPPY, 3), face(SAD, 1)] }); // the self view: the main face only
  const lines = tl.toCSV().split('\r\n').slice(1, -1);
  assert.deepEqual(lines.map((l) => l.split(',').slice(0, 3).join(',')),
    ['0.000,2,3', '0.000,2,1', '0.500,0,', '1.000,3,3', '1.000,3,1', '1.000,3,4', '1.500,2,3']);
  assert.deepEqual(tl.rows().map((r) => r.person), [3, 1, null, 3, 1, 4, 3]);
  // The summary and the chart are the main face's: one per sample, not one per row.
  const s = tl.summary();
  assert.deepEqual([s.samples, s.with_face, s.no_face, s.duration_s], [4, 3, 1, 1.5]);
  assert.deepEqual([s.share.happy, s.share.sad], [2 / 3, 1 / 3]);
  const d = tl.plotData({ windowS: 0 });
  assert.deepEqual(d.x, [0, 0.5, 1, 1.5]);
  assert.deepEqual(d.y[labels.indexOf('sad')], [HAPPY[4], null, SAD[4], HAPPY[4]]);
  assert.throws(() => tl.add(2, 1, HAPPY, 0), RangeError);
  assert.throws(() => tl.add(2, 0, null, 2), TypeError);
  // Dropping the oldest rows one by one takes a sample out of the summary with its first row.
  const capped = new Timeline(labels, { maxRows: 3 });
  capped.addResult(0, { faces: [face(HAPPY, 1), face(SAD, 2)] }, { everyone: true });
  capped.addResult(1, { faces: [face(SAD, 1)] }, { everyone: true });
  assert.equal(capped.summary().samples, 2);
  capped.addResult(2, { faces: [face(SAD, 1)] }, { everyone: true }); // drops (0, person 1)
  assert.deepEqual([capped.summary().samples, capped.summary().share.sad], [2, 1]);
  assert.equal(capped.isMain(0), false); // (0, person 2): its sample already left the summary
  capped.addResult(3, { faces: [face(SAD, 1)] }, { everyone: true }); // drops (0, person 2)
  assert.deepEqual([capped.summary().samples, capped.dropped], [3, 2]);
});

test('EMA: a half-life in s, no-face rows stay empty and do not reset it', () => {
  const times = [0, 1, 2, 3];
  const probs = [Array(7).fill(1), Array(7).fill(0), null, Array(7).fill(0)];
  const out = ema(times, probs, 1);
  assert.ok(Math.abs(out[1][0] - 0.5) < 1e-12); // one half-life later: half-way
  assert.equal(out[2], null);
  assert.ok(Math.abs(out[3][0] - 0.125) < 1e-12); // two half-lives after the last face row
  assert.deepEqual(ema(times, probs, 0).map((r) => r && Array.from(r)), probs);
  assert.equal(ema(times, [Array(7).fill(NaN)], 1)[0], null);
});

test('cap: beyond maxRows the oldest rows are dropped, storage stays bounded, summary follows', () => {
  const tl = new Timeline(labels, { maxRows: 100 });
  for (let i = 0; i < 250; i += 1) tl.add(i, 1, i < 200 ? SAD : HAPPY);
  assert.equal(tl.length, 100);
  assert.equal(tl.dropped, 150);
  assert.equal(tl.time(0), 150);
  assert.equal(tl.time(99), 249);
  assert.ok(tl.data.length <= 100 * 10); // t, faces, person, 7 probabilities
  const s = tl.summary();
  assert.equal(s.share.sad, 0.5);
  assert.equal(s.share.happy, 0.5);
  assert.equal(s.dominant, 'happy'); // a tie goes to the first label in label order, as numpy's argmax
  assert.equal(s.duration_s, 99);
  assert.equal(tl.toCSV().split('\r\n')[1].split(',')[0], '150.000');
  assert.equal(PAGE_MAX_ROWS, 72000); // 2 h at the maximum rate, 10 per second
  tl.reset();
  assert.equal(tl.length + tl.dropped + tl.summary().with_face, 0);
});

test('formatFixed rounds exact ties to even, as Python', () => {
  assert.equal(formatFixed(0.0625, 3), '0.062'); // toFixed says 0.063
  assert.equal(formatFixed(0.1875, 3), '0.188');
  assert.equal(formatFixed(1 / 128, 6), '0.007812');
  assert.equal(formatFixed(0.5, 0), '0');
  assert.equal(formatFixed(2.5, 0), '2');
  assert.equal(formatFixed(1.0005, 3), (1.0005).toFixed(3)); // not an exact tie in binary
  assert.equal(formatFixed(0, 6), '0.000000');
  assert.equal(formatFixed(1234.5678, 3), '1234.568');
});

test('Sampler: at most `rate` samples per second of frames arriving faster, no catching up', () => {
  const sampler = new Sampler(DEFAULT_RATE);
  const taken = [];
  for (let now = 100; now < 110 - 1e-9; now += 0.25) if (sampler.due(now)) taken.push(sampler.record(now));
  assert.equal(taken.length, 20);
  assert.ok(taken.every((t, i) => Math.abs(t - i * 0.5) < 1e-9));
  // Frames every 0.3 s still give 2/s on average.
  const s2 = new Sampler(2);
  let n = 0;
  for (let now = 0; now < 30; now += 0.3) if (s2.due(now)) { s2.record(now); n += 1; }
  assert.ok(Math.abs(n - 60) <= 2, n);
  sampler.record(200); // after a pause: the next sample is a period later, not at once
  assert.equal(sampler.due(200.25), false);
  assert.equal(sampler.due(200.5), true);
  assert.throws(() => { sampler.rate = 0; }, RangeError);
  assert.throws(() => new Sampler(11), RangeError);
});

test('plotData: the window, breaks, no-face spans, bounded points', () => {
  const tl = new Timeline(labels);
  for (let i = 0; i < 400; i += 1) tl.add(i * 0.5, i % 10 === 0 ? 0 : 1, i % 10 === 0 ? null : HAPPY);
  tl.add(300, 1, SAD); // after a 100 s break
  let d = tl.plotData({ windowS: 60 });
  assert.deepEqual(d.range, [240, 300]);
  assert.deepEqual(d.x, [300]); // the rows before 240 s are out of the window
  d = tl.plotData({ windowS: 0, maxPoints: 1000 });
  assert.equal(d.x.length, 402); // the rows plus one break
  assert.equal(d.y[0][400], null); // no line across the break
  assert.equal(d.y[3][0], null); // no face at 0 s
  assert.equal(d.noFace.length, 40);
  assert.deepEqual(d.noFace[1], [4.75, 5.25]);
  d = tl.plotData({ windowS: 0, maxPoints: 100, halfLifeS: 2 });
  assert.equal(d.x.length, 100);
  assert.ok(d.y.every((ys) => ys.length === 100));
  assert.ok(d.y[3].slice(0, 60).every((v) => v !== null && Math.abs(v - 0.7) < 1e-9)); // bins with a face
  assert.ok(d.y[3].slice(70, 99).every((v) => v === null)); // the break
  assert.ok(Math.abs(d.y[4][99] - 0.6) < 0.01 && d.y[4][99] < 0.6); // smoothed towards sad
  assert.deepEqual(new Timeline(labels).plotData().x, []);
});
