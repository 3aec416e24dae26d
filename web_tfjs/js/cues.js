// When to announce an expression: the stream of results in, at most a few short cues
// out. No DOM and no speech here (cues-panel.js does those); node tests this file
// (tests/web_cues.test.mjs).
//
// A cue is due for a person when their top expression has CHANGED from the last one
// announced for them and has HELD for the hold period (the first expression of a new
// person counts as a change once it holds). Three limits keep it from ever becoming one
// cue per frame:
//   - the hold itself: a label must stay top-1 for holdS seconds without a break;
//   - per person: at most one cue per hold period;
//   - overall: at most one cue per minGapS seconds; people due at the same time are merged
//     into one sentence ("Person 1: happy. Person 3: sad."), at most MAX_PER_CUE of them,
//     the longest-held first; the others stay due for the next cue if they still hold.
// The clock is each result's `timestamp` (ms, the frame's grab time), never the wall
// clock, so that tests can drive it and a slow page does not shift it.

export const DEFAULT_HOLD_S = 2;
export const MIN_HOLD_S = 1;
export const MAX_HOLD_S = 10;
export const DEFAULT_MIN_GAP_S = 1;
export const MAX_PER_CUE = 3;
// Seconds without a result (the stream paused or restarted: track ids may start again), or
// without seeing a person (they left, or their track ended), after which they are
// forgotten, and announced afresh if they come back; the hold, if longer.
export const GONE_S = 3;
// Timestamps are fractional ms: (t0 + 2000) / 1000 - t0 / 1000 may fall a hair short of 2.
const EPS_S = 1e-6;

// Who is announced: 'main' = the main (largest) face only, with the label alone
// ("happy": the self view, where the main face is the user's own); 'everyone' = every
// tracked face, named by its track id ("Person 2: happy": call mode); 'auto' = as the
// result says: everyone when its `callMode` is true, the main face when it is false;
// without that field, the main face for the camera and photos and everyone for any
// other source (a shared screen, a video).
export const WHO = ['auto', 'main', 'everyone'];

// The setting for one result: 'main' or 'everyone'.
export function whoFor(result, who = 'auto') {
  if (who !== 'auto') return who;
  if (typeof result.callMode === 'boolean') return result.callMode ? 'everyone' : 'main';
  return result.source === 'camera' || result.source === 'photo' || result.source === undefined ? 'main' : 'everyone';
}

// "Person 2" for track 2 in call mode; null (label alone) for the main face.
export function personName(track, who) {
  return who === 'everyone' ? `Person ${track}` : null;
}

// One cue's text: "happy", or "Person 2: happy. Person 3: sad."
export function cueText(people) {
  return people.map(({ name, label }) => (name ? `${name}: ${label}` : label)).join('. ');
}

export class CueScheduler {
  // holdS: seconds a new top-1 must hold, in [MIN_HOLD_S, MAX_HOLD_S] (clamped; also the
  // minimum time between two cues for one person). minGapS: seconds between any two cues
  // (>= 0). who: one of WHO. Throws a RangeError on a hold that is not a number.
  constructor({ holdS = DEFAULT_HOLD_S, minGapS = DEFAULT_MIN_GAP_S, who = 'auto' } = {}) {
    this.holdS = holdS;
    this.minGapS = minGapS;
    this.who = who;
    this.reset();
  }

  get holdS() {
    return this.hold;
  }

  set holdS(seconds) {
    const s = Number(seconds);
    if (!Number.isFinite(s)) throw new RangeError(`hold must be a number of seconds, got ${seconds}`);
    this.hold = Math.min(MAX_HOLD_S, Math.max(MIN_HOLD_S, s));
  }

  get who() {
    return this.whoSetting;
  }

  set who(value) {
    if (!WHO.includes(value)) throw new RangeError(`who must be one of ${WHO.join(', ')}, got ${value}`);
    if (value !== this.whoSetting) this.people?.clear(); // other people, other names
    this.whoSetting = value;
  }

  // Forget everyone: the next expression of each person is new again.
  reset() {
    this.people = new Map(); // key -> {key, name, label, emoji, since, seen, announced, lastCue}
    this.lastCue = -Infinity; // s
    this.lastTime = null; // s, the latest result's
  }

  // Feeds one result ({faces: [{track?, top: [{label, emoji, score}, ...]}], timestamp
  // (ms), source}); returns the cue due now, {time (s), text, people: [{key, name, label,
  // emoji}]}, or null. Results without a numeric timestamp (photos) give no cue and
  // change nothing. A clock that goes back, or a gap of more than max(hold, GONE_S)
  // seconds, forgets everyone first.
  update(result) {
    if (!Number.isFinite(result?.timestamp)) return null;
    const t = result.timestamp / 1000;
    if (this.lastTime !== null && (t < this.lastTime || t - this.lastTime > this.gone)) this.reset();
    this.lastTime = t;
    const who = whoFor(result, this.who);
    this.observe(t, who === 'main' ? result.faces.slice(0, 1) : result.faces, who);
    return this.due(t);
  }

  observe(t, faces, who) {
    faces.forEach((face, index) => {
      const top = face.top?.[0];
      if (!top) return;
      // The main face is one person whatever its track (a lost face found again gets a new
      // track id); in call mode the track id is the person (a result without track ids
      // numbers its faces in order, largest first).
      const track = face.track ?? index + 1;
      const key = who === 'main' ? 'main' : `track:${track}`;
      let person = this.people.get(key);
      if (!person) {
        person = { key, name: personName(track, who), announced: null, lastCue: -Infinity };
        this.people.set(key, person);
      }
      if (person.label !== top.label) Object.assign(person, { label: top.label, emoji: top.emoji, since: t });
      person.seen = t;
    });
    for (const [key, person] of this.people) if (t - person.seen > this.gone) this.people.delete(key);
  }

  get gone() {
    return Math.max(this.hold, GONE_S);
  }

  due(t) {
    if (t - this.lastCue < this.minGapS - EPS_S) return null;
    const ready = [...this.people.values()]
      .filter((p) => p.seen === t && p.label !== p.announced
        && t - p.since >= this.hold - EPS_S && t - p.lastCue >= this.hold - EPS_S)
      .sort((a, b) => a.since - b.since)
      .slice(0, MAX_PER_CUE);
    if (!ready.length) return null;
    for (const p of ready) Object.assign(p, { announced: p.label, lastCue: t });
    this.lastCue = t;
    const people = ready.map(({ key, name, label, emoji }) => ({ key, name, label, emoji }));
    return { time: t, text: cueText(people), people };
  }
}
