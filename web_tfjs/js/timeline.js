// The expression timeline of a camera session, computed in the page: one row per sample,
// (time in s since the session's first sample, number of faces, the person (the face's
// track id), the probabilities of the main face, the largest one); in call mode one row per
// person in view, the main face's first (a sample = the rows of one time). The same rows, CSV, summary and smoothing as
// emoji_fer/timeline.py, and the same sampling schedule as emoji_fer/live.py; the tests
// (tests/test_web.py) compare this module, run by Node, with those files. No DOM here.
//
// A frame without a face is kept as a row with faces = 0 and no probabilities (NaN here,
// empty cells in the CSV): neither dropped nor filled in.
import { DEFAULT_RATE, MAX_RATE } from './shared.js';

export { DEFAULT_RATE, MAX_RATE }; // samples per second: emoji_fer/live.py's, via shared.json
// The page keeps the latest PAGE_MAX_ROWS rows (2 h at MAX_RATE, 10 h at the default 2/s
// with one face; 80 bytes a row, at most 5.8 MB; a call's samples have a row per person,
// so N people keep N times fewer samples); older ones are dropped, and `dropped` counts
// them. Larger than emoji_fer/live.py's MAX_ROWS on purpose: that one bounds each
// viewer's session in the memory of a demo server shared by many, this one a user's tab.
export const PAGE_MAX_ROWS = 2 * 3600 * MAX_RATE;
// At most this many time points are drawn in the page's chart; more are averaged in time
// bins. More than emoji_fer/timeline.py's PLOT_POINTS, which bounds the Python demo's
// Gradio LinePlot, whose points are sent from the server with every update; the page's
// uPlot chart is drawn in the tab, from rows already there.
export const CHART_POINTS = 600;
const EMA_WARM_UP = 20; // half-lives of history smoothed before a plotted window (weight 2^-20 beyond)

// x.toFixed(digits) as Python's f"{x:.{digits}f}": exact ties go to the even digit
// (toFixed sends them up). x >= 0. A tie is x = j / 2^(digits+1) with j odd, which the
// multiplication by a power of two tests exactly.
export function formatFixed(x, digits) {
  const text = x.toFixed(digits);
  const twice = x * 2 ** (digits + 1);
  if (!Number.isInteger(twice) || twice % 2 === 0 || twice > Number.MAX_SAFE_INTEGER) return text;
  const scaled = x * 10 ** digits; // an exact half-integer here
  const down = Math.floor(scaled);
  if (down % 2 !== 0) return text; // toFixed went up, to the even neighbour
  const digitsOf = String(down).padStart(digits + 1, '0');
  return digits ? `${digitsOf.slice(0, -digits)}.${digitsOf.slice(-digits)}` : digitsOf;
}

// Index of the largest of values[from .. from+count), the first one on ties (numpy's
// argmax). Also used by participants.js and personal.js.
export function argmax(values, from = 0, count = values.length - from) {
  let best = 0;
  for (let i = 1; i < count; i += 1) if (values[from + i] > values[from + best]) best = i;
  return best;
}

export class Timeline {
  // labels: the expression labels in the model's output order (metadata.json);
  // maxRows: the bound on the number of rows kept (the oldest are dropped beyond it).
  constructor(labels, { maxRows = PAGE_MAX_ROWS } = {}) {
    if (!(maxRows >= 1)) throw new RangeError('maxRows must be at least 1');
    this.labels = [...labels];
    this.maxRows = maxRows;
    this.stride = 3 + this.labels.length; // t, faces, person, probabilities
    this.reset();
  }

  // Forget every row.
  reset() {
    this.capacity = Math.min(16, this.maxRows);
    this.data = new Float64Array(this.capacity * this.stride); // a ring buffer of rows
    this.head = 0; // storage index of the oldest row
    this.length = 0;
    this.dropped = 0;
    this.samples = 0; // main rows (the first row of each sample time)
    this.withFace = 0; // main rows with a face
    this.lastTime = null; // the time of the last row added (dropped or not)
    this.droppedTime = null; // the time of the last row dropped
    this.counts = new Array(this.labels.length).fill(0); // rows with a face, by top-1 expression
  }

  offset(i) {
    return ((this.head + i) % this.capacity) * this.stride;
  }

  // Append one row. t: s, >= the previous row's (a row at the previous row's time belongs
  // to the same sample: another person of a call); faces: an integer >= 0; probs: this
  // face's probabilities in label order (array-like), or null when faces == 0; person: its
  // track id, an integer >= 1 (default 1 when there is a face; null without one).
  add(t, faces, probs = null, person = null) {
    if (!Number.isFinite(t) || (this.length && t < this.time(this.length - 1))) {
      throw new RangeError(`time ${t} s is not after the previous row's`);
    }
    if (!Number.isInteger(faces) || faces < 0) throw new RangeError(`faces must be an integer >= 0, got ${faces}`);
    if (faces && !probs) throw new TypeError("a row with faces needs the main face's probabilities");
    if (probs && probs.length !== this.labels.length) {
      throw new RangeError(`expected ${this.labels.length} probabilities, got ${probs.length}`);
    }
    if (person !== null && !(Number.isInteger(person) && person >= 1)) {
      throw new RangeError(`person must be an integer >= 1 or null, got ${person}`);
    }
    if (!faces && person !== null) throw new TypeError('a row without a face has no person');
    if (this.length === this.capacity) {
      if (this.capacity >= this.maxRows) {
        this.forget(0);
        this.head = (this.head + 1) % this.capacity;
        this.length -= 1;
        this.dropped += 1;
      } else {
        const grown = new Float64Array(Math.min(2 * this.capacity, this.maxRows) * this.stride);
        for (let i = 0; i < this.length; i += 1) {
          grown.set(this.data.subarray(this.offset(i), this.offset(i) + this.stride), i * this.stride);
        }
        this.data = grown;
        this.capacity = grown.length / this.stride;
        this.head = 0;
      }
    }
    const o = this.offset(this.length);
    this.data[o] = t;
    this.data[o + 1] = faces;
    this.data[o + 2] = faces ? person ?? 1 : NaN;
    for (let j = 0; j < this.labels.length; j += 1) this.data[o + 3 + j] = probs ? probs[j] : NaN;
    this.length += 1;
    const main = t !== this.lastTime;
    this.lastTime = t;
    if (main) this.count(o, 1);
  }

  // Counts a main row at storage offset o into (sign 1) or out of (-1) the summary.
  count(o, sign) {
    this.samples += sign;
    if (this.data[o + 1] > 0) {
      this.withFace += sign;
      this.counts[argmax(this.data, o + 3, this.labels.length)] += sign;
    }
  }

  // The oldest row (i = 0) leaves: out of the summary if it was a main row.
  forget(i) {
    const o = this.offset(i);
    if (this.data[o] !== this.droppedTime) this.count(o, -1);
    this.droppedTime = this.data[o];
  }

  // Row i is its sample's main row (the first of its time).
  isMain(i) {
    const t = this.time(i);
    return i === 0 ? t !== this.droppedTime : t !== this.time(i - 1);
  }

  // The rows for one analysis result ({faces: [{scores: {label: p}, track?}]}, largest face
  // first): the main face's row, or with everyone (call mode) one row per face, each with
  // its track id as the person (else its place in the list, from 1).
  addResult(t, result, { everyone = false } = {}) {
    const { faces } = result;
    if (!faces.length) {
      this.add(t, 0);
      return;
    }
    const rows = everyone ? faces : faces.slice(0, 1);
    rows.forEach((face, i) => {
      this.add(t, faces.length, this.labels.map((label) => face.scores[label]), face.track ?? i + 1);
    });
  }

  time(i) {
    return this.data[this.offset(i)];
  }

  faces(i) {
    return this.data[this.offset(i) + 1];
  }

  // Row i's person (its track id), or null when no face was found.
  person(i) {
    const p = this.data[this.offset(i) + 2];
    return Number.isNaN(p) ? null : p;
  }

  // Row i's probabilities (a Float64Array view; NaN when no face was found).
  probs(i) {
    const o = this.offset(i) + 3;
    return this.data.subarray(o, o + this.labels.length);
  }

  // Row i as {time_s, faces, person, label: p or null}, in CSV column order.
  row(i) {
    const out = { time_s: this.time(i), faces: this.faces(i), person: this.person(i) };
    this.probs(i).forEach((p, j) => { out[this.labels[j]] = Number.isNaN(p) ? null : p; });
    return out;
  }

  rows() {
    return Array.from({ length: this.length }, (_, i) => this.row(i));
  }

  // Index of the first row at or after time t (binary search: times never decrease).
  indexAt(t) {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.time(mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // {samples, with_face, no_face, duration_s, share: {label: fraction of the samples with a
  // face whose main face's top expression it is}, dominant: label or null}, as
  // emoji_fer/timeline.py. With evenly spaced samples, a share of samples is a share of time.
  summary() {
    const n = this.withFace;
    const best = n ? argmax(this.counts, 0, this.counts.length) : -1;
    return {
      samples: this.samples,
      with_face: n,
      no_face: this.samples - n,
      duration_s: this.length ? this.time(this.length - 1) - this.time(0) : 0,
      share: Object.fromEntries(this.labels.map((label, j) => [label, n ? this.counts[j] / n : 0])),
      dominant: n ? this.labels[best] : null,
    };
  }

  // The CSV, byte for byte as emoji_fer/timeline.py writes it: header
  // `time_s,faces,person,<labels>`, times with 3 decimals, probabilities with 6, empty
  // person and probability cells on rows without a face, \r\n line ends (Python's csv module).
  toCSV() {
    const lines = [['time_s', 'faces', 'person', ...this.labels].join(',')];
    for (let i = 0; i < this.length; i += 1) {
      const cells = Array.from(this.probs(i), (p) => (Number.isNaN(p) ? '' : formatFixed(p, 6)));
      lines.push([formatFixed(this.time(i), 3), this.faces(i), this.person(i) ?? '', ...cells].join(','));
    }
    return `${lines.join('\r\n')}\r\n`;
  }

  // What the chart draws: the rows of the last `windowS` seconds (0 = the whole session),
  // smoothed with `ema` (half-life in s, 0 = raw), averaged in time bins beyond
  // `maxPoints` rows. Returns {x, y: one array per label (null where no face was found,
  // and at breaks longer than `gapS`, e.g. while the camera was stopped), noFace: [[t0,
  // t1]] spans of no-face samples, range: [t0, t1] for the x axis}. Flat typed arrays, no
  // allocation per row, so that a whole session's rows redraw without stalling the camera.
  plotData({ windowS = 60, halfLifeS = 0, maxPoints = CHART_POINTS, gapS = 2, periodS = 1 / DEFAULT_RATE } = {}) {
    const k = this.labels.length;
    const out = { x: [], y: this.labels.map(() => []), noFace: [], range: [0, windowS || 10] };
    if (!this.length) return out;
    const end = this.time(this.length - 1);
    const start = windowS > 0 ? Math.max(this.time(0), end - windowS) : this.time(0);
    out.range = windowS > 0 ? [Math.max(0, end - windowS), Math.max(windowS, end)] : [0, Math.max(10, end)];
    const first = this.indexAt(start);
    // Smooth from a little before the window, so that its first points carry their history.
    const from = halfLifeS > 0 ? this.indexAt(start - EMA_WARM_UP * halfLifeS) : first;
    // The main face's rows only (the first of each sample): the other people of a call
    // have their own charts (participants-panel.js).
    const main = [];
    let skip = 0;
    for (let i = from; i < this.length; i += 1) {
      if (!this.isMain(i)) continue;
      if (i < first) skip += 1;
      main.push(i);
    }
    const m = main.length;
    const times = new Float64Array(m);
    const probs = new Float64Array(m * k); // NaN rows: no face
    main.forEach((row, i) => {
      const o = this.offset(row);
      times[i] = this.data[o];
      if (this.data[o + 1] > 0) probs.set(this.data.subarray(o + 3, o + 3 + k), i * k);
      else probs.fill(NaN, i * k, (i + 1) * k);
    });
    emaFlat(times, probs, k, halfLifeS);
    const t = times.subarray(skip);
    const p = probs.subarray(skip * k);
    const n = t.length;
    const push = (x, values, at = 0) => {
      out.x.push(x);
      for (let j = 0; j < k; j += 1) out.y[j].push(values ? values[at + j] : null);
    };
    const mark = (t0, t1) => {
      const last = out.noFace.at(-1);
      if (last && t0 <= last[1] + 1e-9) last[1] = Math.max(last[1], t1);
      else out.noFace.push([t0, t1]);
    };
    if (n <= maxPoints) {
      for (let i = 0; i < n; i += 1) {
        if (i && t[i] - t[i - 1] > gapS) push((t[i] + t[i - 1]) / 2, null); // a break: no line across it
        const face = !Number.isNaN(p[i * k]);
        push(t[i], face ? p : null, i * k);
        if (!face) {
          const before = i ? Math.min(t[i] - t[i - 1], gapS) / 2 : periodS / 2;
          const after = i + 1 < n ? Math.min(t[i + 1] - t[i], gapS) / 2 : periodS / 2;
          mark(t[i] - before, t[i] + after);
        }
      }
      return out;
    }
    // Time bins: a bin's point is the mean of its rows with a face (null if none; empty
    // bins, such as breaks, stay null); a bin with rows but no face is a no-face span.
    const width = (t[n - 1] - t[0]) / maxPoints || 1;
    const sum = new Float64Array(k);
    let i = 0;
    for (let b = 0; b < maxPoints; b += 1) {
      const binEnd = b === maxPoints - 1 ? Infinity : t[0] + (b + 1) * width;
      sum.fill(0);
      let rows = 0;
      let faceRows = 0;
      let tSum = 0;
      for (; i < n && t[i] < binEnd; i += 1) {
        rows += 1;
        tSum += t[i];
        if (!Number.isNaN(p[i * k])) {
          faceRows += 1;
          for (let j = 0; j < k; j += 1) sum[j] += p[i * k + j];
        }
      }
      const mid = t[0] + (b + 0.5) * width;
      push(rows ? tSum / rows : mid, faceRows ? sum.map((v) => v / faceRows) : null);
      if (rows && !faceRows) mark(mid - width / 2, mid + width / 2);
    }
    return out;
  }
}

// Exponential moving average, as emoji_fer/timeline.py ema(): times (s), probs: one
// array-like per row, or null (or NaN values) where no face was found; halfLifeS: the
// half-life in s (0 = unchanged copies). Time-based, so irregular sampling weighs
// correctly. No-face rows stay null and do not reset it. Returns new arrays (or null).
export function ema(times, probs, halfLifeS) {
  const k = probs.find((row) => row)?.length ?? 0;
  const flat = new Float64Array(probs.length * k).fill(NaN);
  probs.forEach((row, i) => row && flat.set(row, i * k));
  emaFlat(Float64Array.from(times), flat, k, halfLifeS);
  return probs.map((_, i) => (k && !Number.isNaN(flat[i * k]) ? flat.slice(i * k, (i + 1) * k) : null));
}

// ema in place on a flat (rows x k) Float64Array whose no-face rows are NaN.
function emaFlat(times, probs, k, halfLifeS) {
  if (!(halfLifeS > 0)) return;
  let last = -1;
  for (let i = 0; i < times.length; i += 1) {
    if (Number.isNaN(probs[i * k])) continue;
    if (last >= 0) {
      const keep = 0.5 ** ((times[i] - times[last]) / halfLifeS);
      for (let j = 0; j < k; j += 1) probs[i * k + j] = keep * probs[last * k + j] + (1 - keep) * probs[i * k + j];
    }
    last = i;
  }
}

// When to take a sample, as emoji_fer/live.py LiveSession: frames arrive as fast as the
// page analyzes them; at most `rate` of them per second are recorded. Times in s on any
// monotonic clock (performance.now() / 1000); sample times are since the first sample.
export class Sampler {
  constructor(rate = DEFAULT_RATE) {
    this.rate = rate;
    this.reset();
  }

  reset() {
    this.start = null; // clock time of the first sample
    this.nextDue = null; // clock time at which the next sample is due
  }

  set rate(value) {
    if (!(value > 0 && value <= MAX_RATE)) {
      throw new RangeError(`rate must be in (0, ${MAX_RATE}] samples per second, got ${value}`);
    }
    this.period = 1 / value;
    this.value = value;
  }

  get rate() {
    return this.value;
  }

  due(now) {
    return this.nextDue === null || now >= this.nextDue;
  }

  // Take a sample now; returns its time in s since the first sample. Steps from the
  // previous due time (frames every 0.3 s still give 2/s on average) but never sooner
  // than half a period from now; after a pause, restarts from now instead of catching up.
  record(now) {
    if (this.start === null) this.start = now;
    if (this.nextDue === null || now - this.nextDue > this.period) this.nextDue = now + this.period;
    else this.nextDue = Math.max(this.nextDue + this.period, now + this.period / 2);
    return now - this.start;
  }
}
