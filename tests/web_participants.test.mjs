// Unit tests of web_tfjs/js/participants.js in Node (no browser):
// `node --test tests/web_participants.test.mjs`; tests/test_web.py runs it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { HISTORY_S, MAX_GAP_S, Participants, presence, runs } from '../web_tfjs/js/participants.js';

const { labels, emoji } = JSON.parse(readFileSync(new URL('../web_tfjs/model/metadata.json', import.meta.url), 'utf8'));
const HAPPY = [0.05, 0.0, 0.05, 0.7, 0.05, 0.05, 0.1];
const SAD = [0.05, 0.0, 0.05, 0.1, 0.6, 0.05, 0.15];
const face = (track, probs) => {
  const scores = Object.fromEntries(labels.map((l, i) => [l, probs[i]]));
  const top = labels.map((label) => ({ label, emoji: emoji[label], score: scores[label] }))
    .sort((a, b) => b.score - a.score).slice(0, 3);
  return { box: [0, 0, 10, 10], scores, top, track, views: 8 };
};
const result = (...faces) => ({ faces });

test('one person per track: the latest top-3, in view first by number, then the most recently gone', () => {
  const people = new Participants(labels);
  people.update(result(face(2, HAPPY), face(1, SAD), face(5, HAPPY)), 10);
  people.update(result(face(2, SAD), face(5, HAPPY)), 10.5); // 1 leaves
  people.update(result(face(5, HAPPY), face(7, SAD)), 11); // 2 leaves, 7 arrives
  const list = people.list(11.2);
  assert.deepEqual(list.map((p) => [p.person, p.inView]), [[5, true], [7, true], [2, false], [1, false]]);
  assert.deepEqual(list.map((p) => p.label), ['happy', 'sad', 'sad', 'sad']);
  assert.equal(list[0].top.length, 3);
  assert.equal(list[0].top[0].label, 'happy');
  assert.ok(Math.abs(list[2].goneS - 0.7) < 1e-9 && Math.abs(list[3].goneS - 1.2) < 1e-9);
  // No result for a while (a paused video, a stopped source): the last frame's people did
  // not leave; the panel says how old that frame is.
  assert.deepEqual(people.list(20).map((p) => p.inView), [true, true, false, false]);
  assert.equal(people.age(20), 9);
  assert.equal(new Participants(labels).age(20), null);
  assert.throws(() => people.update(result(), 5), RangeError);
  // Faces without a track (photos) are not people.
  people.update(result({ ...face(9, HAPPY), track: undefined }), 21);
  assert.equal(people.list(21).length, 4);
});

test('share of time per top expression, gaps counted at most MAX_GAP_S', () => {
  const people = new Participants(labels);
  for (let t = 0; t < 4; t += 0.5) people.update(result(face(1, t < 3 ? HAPPY : SAD)), t); // 0..3.5 s
  let p = people.list(3.5)[0];
  assert.ok(Math.abs(p.seenS - 3.5) < 1e-9);
  assert.ok(Math.abs(p.share.happy - 2.5 / 3.5) < 1e-9 && Math.abs(p.share.sad - 1 / 3.5) < 1e-9);
  assert.equal(p.dominant, 'happy');
  people.update(result(face(1, SAD)), 100); // seen again after a long pause: MAX_GAP_S, not 96.5 s
  p = people.list(100)[0];
  assert.ok(Math.abs(p.seenS - (3.5 + MAX_GAP_S)) < 1e-9);
  assert.ok(Math.abs(labels.reduce((sum, l) => sum + p.share[l], 0) - 1) < 1e-12);
});

test('history: the last HISTORY_S s, at most one point per step; runs merge and split at gaps', () => {
  const people = new Participants(labels);
  for (let t = 0; t <= 100; t += 0.05) people.update(result(face(1, t < 90 ? HAPPY : SAD)), t);
  const { history } = people.list(100)[0];
  assert.ok(history[0][0] >= 100 - HISTORY_S - 1e-9);
  assert.ok(history.length <= HISTORY_S / 0.25 + 1, history.length);
  const happy = labels.indexOf('happy');
  const sad = labels.indexOf('sad');
  const r = runs(history, 100);
  assert.deepEqual(r.map((x) => x.label), [happy, sad]);
  assert.ok(r[0].from >= -HISTORY_S && Math.abs(r[0].to - (90 - 100)) < 0.3 && r[1].to <= 0);
  // A gap longer than MAX_GAP_S splits a run: the person was not seen then.
  const gap = runs([[0, happy, 0.7], [0.5, happy, 0.7], [5, happy, 0.7]], 6, 60, 0.25);
  assert.deepEqual(gap, [{ from: -6, to: -5.25, label: happy }, { from: -1, to: -0.75, label: happy }]);
});

test('forgets the people gone the longest beyond maxPeople, never one in view', () => {
  const people = new Participants(labels, { maxPeople: 3 });
  [1, 2, 3].forEach((track, i) => people.update(result(face(track, HAPPY)), i));
  people.update(result(face(1, HAPPY), face(2, HAPPY), face(3, HAPPY), face(4, HAPPY), face(5, HAPPY)), 10);
  assert.deepEqual(people.list(10).map((p) => p.person), [1, 2, 3, 4, 5]); // all in view: none forgotten
  people.update(result(face(5, HAPPY)), 11); // 1-4 gone since 10 s: the first two seen leave
  assert.deepEqual(people.list(11).map((p) => [p.person, p.inView]), [[5, true], [3, false], [4, false]]);
});

test('presence: in view, seconds, minutes, hours', () => {
  assert.equal(presence({ inView: true, goneS: 0 }), 'in view');
  assert.equal(presence({ inView: false, goneS: 12.4 }), 'left 12 s ago');
  assert.equal(presence({ inView: false, goneS: 0.2 }), 'left 1 s ago');
  assert.equal(presence({ inView: false, goneS: 150 }), 'left 3 min ago');
  assert.equal(presence({ inView: false, goneS: 7200 }), 'left 2 h ago');
});
