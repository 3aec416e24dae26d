// Unit tests of web_tfjs/js/cues.js in Node (no browser): `node --test tests/web_cues.test.mjs`.
// tests/test_web.py runs them; tests/test_web_a11y.py checks the cues on the fake camera.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  CueScheduler, DEFAULT_HOLD_S, GONE_S, MAX_HOLD_S, MAX_PER_CUE, MIN_HOLD_S, cueText, whoFor,
} from '../web_tfjs/js/cues.js';

const EMOJI = { happy: '😄', sad: '😢', surprise: '😲', neutral: '😐', angry: '😠' };
const face = (label, track = 1) => ({ track, top: [{ label, emoji: EMOJI[label], score: 0.6 }] });
const result = (ms, faces, source = 'camera') => ({ timestamp: ms, source, faces });

// Feeds frames every `stepMs` from `fromMs` to `toMs` (exclusive) with the faces that
// `facesAt(ms)` gives; returns the cues.
function run(scheduler, fromMs, toMs, stepMs, facesAt, source = 'camera') {
  const cues = [];
  for (let ms = fromMs; ms < toMs; ms += stepMs) {
    const cue = scheduler.update(result(ms, facesAt(ms), source));
    if (cue) cues.push(cue);
  }
  return cues;
}

test('a first expression is announced once it has held for the hold period, then never again while it stays', () => {
  const s = new CueScheduler({ holdS: 2 });
  const cues = run(s, 0, 20_000, 33, () => [face('happy')]);
  assert.equal(cues.length, 1);
  assert.equal(cues[0].text, 'happy'); // the self view: the label alone
  assert.ok(cues[0].time >= 2 && cues[0].time < 2.04, cues[0].time);
  assert.deepEqual(cues[0].people, [{ key: 'main', name: null, label: 'happy', emoji: '😄' }]);
});

test('a change is announced only after it holds; flickers shorter than the hold are never announced', () => {
  const s = new CueScheduler({ holdS: 2 });
  // happy for 5 s, then sad flickers for 1.5 s, happy again 3 s, then surprise for good.
  const labelAt = (ms) => (ms < 5000 ? 'happy' : ms < 6500 ? 'sad' : ms < 9500 ? 'happy' : 'surprise');
  const cues = run(s, 0, 15_000, 50, (ms) => [face(labelAt(ms))]);
  assert.deepEqual(cues.map((c) => c.text), ['happy', 'surprise']);
  // 'happy' after the flicker is what was announced already: no cue. Surprise after 2 s.
  assert.ok(Math.abs(cues[1].time - 11.5) < 0.06, cues[1].time);
});

test('never more than one cue per person per hold period, however often the expression changes', () => {
  for (const holdS of [1, 2, 5]) {
    const s = new CueScheduler({ holdS, minGapS: 0 });
    // A new expression every 1.5 hold periods: each holds long enough and is announced.
    const labels = ['happy', 'sad', 'surprise', 'neutral'];
    const period = holdS * 1500;
    const cues = run(s, 0, 40_000, 20, (ms) => [face(labels[Math.floor(ms / period) % 4])]);
    assert.equal(cues.length, Math.ceil((40_000 - holdS * 1000) / period), `hold ${holdS}`);
    const times = cues.map((c) => c.time);
    for (let i = 1; i < times.length; i += 1) {
      assert.ok(times[i] - times[i - 1] >= holdS - 1e-9, `hold ${holdS}: ${times}`);
    }
  }
});

test('call mode names people by track; several due at once are merged into one cue, at most one per gap', () => {
  const s = new CueScheduler({ holdS: 1, minGapS: 1, who: 'everyone' });
  const cues = run(s, 0, 3000, 40, () => [face('happy', 1), face('sad', 2), face('surprise', 5)]);
  assert.equal(cues.length, 1);
  assert.equal(cues[0].text, 'Person 1: happy. Person 2: sad. Person 5: surprise');
  assert.deepEqual(cues[0].people.map((p) => p.name), ['Person 1', 'Person 2', 'Person 5']);
});

test('the global gap holds back a second person, who is announced at the next allowed time if still holding', () => {
  const s = new CueScheduler({ holdS: 1, minGapS: 1, who: 'everyone' });
  // Person 2 appears 0.5 s after person 1: due at 1.5 s, but the gap allows 2.0 s.
  const cues = run(s, 0, 4000, 10, (ms) => (ms < 500 ? [face('happy', 1)] : [face('happy', 1), face('sad', 2)]));
  assert.deepEqual(cues.map((c) => c.text), ['Person 1: happy', 'Person 2: sad']);
  assert.ok(Math.abs(cues[1].time - cues[0].time - 1) < 0.011, cues.map((c) => c.time));
  for (let i = 1; i < cues.length; i += 1) assert.ok(cues[i].time - cues[i - 1].time >= 1 - 1e-9);
});

test('many people at once: at most MAX_PER_CUE per cue, the rest in the next one', () => {
  const s = new CueScheduler({ holdS: 1, minGapS: 1, who: 'everyone' });
  const n = MAX_PER_CUE + 2;
  const cues = run(s, 0, 5000, 25, () => Array.from({ length: n }, (_, i) => face('happy', i + 1)));
  assert.deepEqual(cues.map((c) => c.people.length), [MAX_PER_CUE, n - MAX_PER_CUE]);
  assert.deepEqual(cues.flatMap((c) => c.people.map((p) => p.name)),
    Array.from({ length: n }, (_, i) => `Person ${i + 1}`));
  assert.deepEqual(cues.map((c) => c.time), [1, 2]);
});

test('a rate flood: 10 people changing every frame give no cue; one per second overall at most', () => {
  const s = new CueScheduler({ holdS: 1, minGapS: 1, who: 'everyone' });
  const labels = Object.keys(EMOJI);
  let frame = 0;
  const flicker = run(s, 0, 10_000, 33, () => {
    frame += 1;
    return Array.from({ length: 10 }, (_, i) => face(labels[(frame + i) % labels.length], i + 1));
  });
  assert.equal(flicker.length, 0);
  // Steady but staggered people: one cue per second at most.
  const steady = run(s, 10_000, 30_000, 33, (ms) => Array.from({ length: 10 },
    (_, i) => face(labels[Math.floor((ms + i * 700) / 2500) % labels.length], i + 1)));
  assert.ok(steady.length > 3, steady.length);
  for (let i = 1; i < steady.length; i += 1) assert.ok(steady[i].time - steady[i - 1].time >= 1 - 1e-9);
});

test('auto: call mode, else the camera, announces the main face whatever its track; else every person', () => {
  assert.equal(whoFor({ source: 'camera' }), 'main');
  assert.equal(whoFor({ source: 'screen' }), 'everyone');
  assert.equal(whoFor({ source: 'camera' }, 'everyone'), 'everyone');
  assert.equal(whoFor({ source: 'camera', callMode: true }), 'everyone'); // the page's call mode decides
  assert.equal(whoFor({ source: 'video', callMode: false }), 'main');
  assert.equal(whoFor({ source: 'video', callMode: true }, 'main'), 'main');
  const s = new CueScheduler({ holdS: 1 });
  // The main face changes track (lost and found again) but keeps its label: one cue only.
  const cues = run(s, 0, 4000, 40, (ms) => [face('happy', ms < 2000 ? 1 : 2), face('sad', 9)]);
  assert.deepEqual(cues.map((c) => c.text), ['happy']);
  const call = new CueScheduler({ holdS: 1 });
  assert.deepEqual(run(call, 0, 2000, 40, () => [face('happy', 3), face('sad', 4)], 'screen').map((c) => c.text),
    ['Person 3: happy. Person 4: sad']);
  // Faces without track ids are numbered in the result's order.
  const untracked = new CueScheduler({ holdS: 1, who: 'everyone' });
  const noTrack = (label) => ({ top: face(label).top });
  assert.deepEqual(run(untracked, 0, 2000, 40, () => [noTrack('happy'), noTrack('sad')]).map((c) => c.text),
    ['Person 1: happy. Person 2: sad']);
});

test('a person who leaves is forgotten and announced afresh on return; a pause or a clock going back resets', () => {
  const s = new CueScheduler({ holdS: 1, who: 'everyone' });
  const away = GONE_S * 1000 + 500;
  const gone = (ms) => ms > 3000 && ms < 3000 + away; // person 1 leaves for longer than GONE_S
  const cues = run(s, 0, 8000 + away, 50, (ms) => (gone(ms) ? [face('sad', 2)] : [face('happy', 1), face('sad', 2)]));
  assert.deepEqual(cues.map((c) => c.text), ['Person 1: happy. Person 2: sad', 'Person 1: happy']);

  const paused = new CueScheduler({ holdS: 1 });
  assert.equal(run(paused, 0, 2000, 50, () => [face('happy')]).length, 1);
  assert.equal(run(paused, 2000 + away, 4000 + away, 50, () => [face('happy')]).length, 1); // after a pause
  assert.equal(run(paused, 0, 2000, 50, () => [face('happy')]).length, 1); // the clock went back: a new session
});

test('photos (no timestamp) and faces without a top-3 give nothing and change nothing', () => {
  const s = new CueScheduler({ holdS: 1 });
  assert.equal(s.update({ source: 'photo', faces: [face('happy')] }), null);
  assert.equal(s.people.size, 0);
  assert.equal(run(s, 0, 3000, 50, () => [{ track: 1, top: [] }, { track: 2 }]).length, 0);
});

test('the hold is clamped to its range and must be a number; who must be known', () => {
  assert.equal(new CueScheduler().holdS, DEFAULT_HOLD_S);
  assert.equal(new CueScheduler({ holdS: 0.2 }).holdS, MIN_HOLD_S);
  assert.equal(new CueScheduler({ holdS: 60 }).holdS, MAX_HOLD_S);
  assert.equal(new CueScheduler({ holdS: '3' }).holdS, 3);
  assert.throws(() => new CueScheduler({ holdS: 'soon' }), RangeError);
  assert.throws(() => new CueScheduler({ who: 'nobody' }), RangeError);
  assert.equal(cueText([{ name: null, label: 'fear' }]), 'fear');
});
