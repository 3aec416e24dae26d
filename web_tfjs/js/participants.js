// The people of a call, one per face track: what each shows now, over the last minute, and
// in total. No DOM (participants-panel.js draws it; tests/web_participants.test.mjs tests
// it in Node).
//
// A person is a track of live.js/tracker.js: its number is the track id, which is never
// reused. There is no re-identification: a person who leaves the picture (or whom the
// detector misses for a few detections) and comes back is a new person with a new number.

import { argmax } from './timeline.js';

export const HISTORY_S = 60; // s of top-expression history kept per person (the sparkline)
export const HISTORY_STEP_S = 0.25; // at most one history point per person per this many s
// A sighting counts for the time since the person's previous one, at most this long: a
// person the page did not analyze for a while (paused video, stopped source) gains no time.
export const MAX_GAP_S = 1;
export const MAX_PEOPLE = 24; // beyond this, the people gone the longest are forgotten

export class Participants {
  // labels: the expression labels in the model's order (metadata.json).
  constructor(labels, { historyS = HISTORY_S, maxPeople = MAX_PEOPLE } = {}) {
    Object.assign(this, { labels: [...labels], historyS, maxPeople });
    this.reset();
  }

  reset() {
    this.people = new Map(); // track id -> person record
    this.lastUpdate = null; // s, the latest result's time
    this.inView = new Set(); // track ids in the latest result
  }

  // One live result ({faces: [{track, scores: {label: p}, top: [{label, emoji, score}]}]},
  // as LivePipeline.process gives) at time `now` in s on a monotonic clock (the frame's grab
  // time). Faces without a track (photos) are ignored. Times must not go back.
  update(result, now) {
    if (this.lastUpdate !== null && now < this.lastUpdate) {
      throw new RangeError(`time ${now} s is before the previous update's ${this.lastUpdate} s`);
    }
    this.lastUpdate = now;
    this.inView = new Set();
    for (const face of result.faces) {
      if (face.track === undefined) continue;
      const probs = this.labels.map((label) => face.scores[label]);
      const top = argmax(probs);
      let person = this.people.get(face.track);
      if (!person) {
        // time: s with each label as top-1; history: [[t, label index, p]]
        person = { person: face.track, lastSeen: now, time: new Array(this.labels.length).fill(0), history: [] };
        this.people.set(face.track, person);
      }
      person.time[top] += Math.min(MAX_GAP_S, now - person.lastSeen);
      person.lastSeen = now;
      person.probs = probs;
      person.top = face.top;
      person.views = face.views;
      const last = person.history.at(-1);
      if (!last || now - last[0] >= HISTORY_STEP_S) person.history.push([now, top, probs[top]]);
      while (person.history.length && person.history[0][0] < now - this.historyS) person.history.shift();
      this.inView.add(face.track);
    }
    this.forget();
  }

  // Keeps at most maxPeople: those gone the longest leave first (never one in view).
  forget() {
    if (this.people.size <= this.maxPeople) return;
    const gone = [...this.people.values()].filter((p) => !this.inView.has(p.person))
      .sort((a, b) => a.lastSeen - b.lastSeen);
    for (const p of gone.slice(0, this.people.size - this.maxPeople)) this.people.delete(p.person);
  }

  // Seconds since the latest result at time `now` (a paused video or a stopped source
  // shows the people of its last analyzed frame: they did not leave), or null before any.
  age(now) {
    return this.lastUpdate === null ? null : Math.max(0, now - this.lastUpdate);
  }

  // The people at time `now` (s, the clock of update()), those in the latest result ("in
  // view") first by number, then those gone, the most recently seen first:
  // [{person, inView, goneS: s since last seen (0 in view), seenS: s of time counted,
  //   top: [{label, emoji, score}] (the latest), label: the latest top-1, views,
  //   share: {label: fraction of seenS with it as top-1}, dominant: label or null,
  //   history: [[t (s), label index, p]] of the last historyS s}].
  list(now) {
    const out = [...this.people.values()].map((p) => {
      const seenS = p.time.reduce((a, b) => a + b, 0);
      const inView = this.inView.has(p.person);
      return {
        person: p.person,
        inView,
        goneS: inView ? 0 : Math.max(0, now - p.lastSeen),
        seenS,
        top: p.top,
        label: this.labels[argmax(p.probs)],
        views: p.views,
        share: Object.fromEntries(this.labels.map((label, j) => [label, seenS > 0 ? p.time[j] / seenS : 0])),
        dominant: seenS > 0 ? this.labels[argmax(p.time)] : null,
        history: p.history.filter(([t]) => t >= now - this.historyS),
      };
    });
    return out.sort((a, b) => (b.inView - a.inView) || (a.inView ? a.person - b.person : a.goneS - b.goneS));
  }
}

// A person's history as runs of one top expression over the window [now - windowS, now]:
// [{from, to (s, relative to now: -windowS..0), label index}], consecutive points of the
// same label merged; a gap longer than MAX_GAP_S between two points ends a run (the
// person was not seen then). Each point lasts until the next one (the last for one step).
export function runs(history, now, windowS = HISTORY_S, step = HISTORY_STEP_S) {
  const out = [];
  history.forEach(([t, label], i) => {
    const next = history[i + 1];
    const end = next && next[0] - t <= MAX_GAP_S ? next[0] : t + step;
    const from = Math.max(t, now - windowS) - now;
    const to = Math.min(end, now) - now;
    if (to <= from) return;
    const last = out.at(-1);
    if (last && last.label === label && Math.abs(last.to - from) < 1e-9) last.to = to;
    else out.push({ from, to, label });
  });
  return out;
}

// "in view", "left 12 s ago", "left 3 min ago": how long ago a person was last seen.
export function presence({ inView, goneS }) {
  if (inView) return 'in view';
  if (goneS < 60) return `left ${Math.max(1, Math.round(goneS))} s ago`;
  if (goneS < 3600) return `left ${Math.round(goneS / 60)} min ago`;
  return `left ${Math.round(goneS / 3600)} h ago`;
}
