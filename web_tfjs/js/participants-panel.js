// The participants panel of call mode: one entry per person (face track) with the current
// emoji, label and top-3, a sparkline of the top expression over the last minute, the
// share of time per top expression, and whether the person is still in view. The
// bookkeeping is participants.js (no DOM); this file is only the page around it.
//
// Results (`emoji-fer:result` events) are recorded on every frame (a few array writes per
// face); the panel redraws at most every RENDER_MS, and once a second while nothing comes
// in (for "left 12 s ago"), so the camera loop keeps the page's thread.
import { HISTORY_S, Participants, presence, runs } from './participants.js';

const RENDER_MS = 250;
const STALE_S = 1.5; // no result for this long: the source is paused or stopped
const TICK_MS = 1000;
const SPARK = { width: 240, height: 84 }; // css px of a sparkline

const $ = (id) => document.getElementById(id);
const percent = (v) => `${Math.round(v * 100)} %`;
const now = () => performance.now() / 1000;

export class ParticipantsPanel {
  constructor({ labels, emoji }) {
    this.labels = labels;
    this.emoji = emoji;
    this.participants = new Participants(labels);
    this.ui = { list: $('participants-list'), status: $('participants-status'), note: $('participants-note') };
    this.items = new Map(); // person -> <li>
    this.callMode = false;
    this.pending = false;
    this.ui.note.textContent = 'Each face gets a number while it stays in the picture. There is no '
      + 're-identification: a person who leaves and comes back (or whom the detector loses for a moment) gets a new '
      + `number. The sparkline shows the top expression over the last ${HISTORY_S} s; the share is of the time `
      + 'each person was in view. Nothing here is stored or sent: it lives in this tab until you close it.';
    document.addEventListener('emoji-fer:result', (event) => this.offer(event.detail));
    setInterval(() => this.participants.people.size && this.schedule(), TICK_MS);
    this.render();
  }

  // A live result in call mode is recorded at its frame's grab time.
  offer(result) {
    if (result.source === 'photo' || result.timestamp === undefined) return;
    this.callMode = Boolean(result.callMode);
    if (!this.callMode) {
      this.schedule();
      return;
    }
    this.participants.update(result, result.timestamp / 1000);
    this.schedule();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    setTimeout(() => requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    }), RENDER_MS);
  }

  render() {
    const t = now();
    const people = this.participants.list(t);
    const inView = people.filter((p) => p.inView).length;
    const age = this.participants.age(t);
    this.ui.status.dataset.inView = inView;
    this.ui.status.textContent = !this.callMode && !people.length
      ? 'Share a screen or open a video to see everyone in it (call mode turns on by itself), or tick '
        + '"Everyone in view" for the camera.'
      : `${inView} ${inView === 1 ? 'person' : 'people'} in view`
        + `${people.length > inView ? `, ${people.length - inView} left` : ''}.`
        + (this.callMode ? '' : ' Call mode is off: this list is not updated.')
        + (this.callMode && age > STALE_S ? ` Paused: as of the last analyzed frame, ${Math.round(age)} s ago.` : '');
    const keep = new Set(people.map((p) => p.person));
    for (const [person, li] of this.items) {
      if (!keep.has(person)) {
        li.remove();
        this.items.delete(person);
      }
    }
    people.forEach((p, i) => {
      const li = this.items.get(p.person) ?? this.create(p.person);
      this.fill(li, p);
      if (this.ui.list.children[i] !== li) this.ui.list.insertBefore(li, this.ui.list.children[i] ?? null);
    });
  }

  create(person) {
    const li = document.createElement('li');
    li.className = 'person';
    li.dataset.person = person;
    li.innerHTML = '<div class="person-head"><strong class="person-name"></strong> <span class="presence"></span></div>'
      + '<div class="person-now"><span class="emoji"></span> <span class="label"></span> <span class="score"></span></div>'
      + '<ol class="person-top3"></ol><canvas class="spark" role="img"></canvas><p class="person-share"></p>';
    li.querySelector('.person-name').textContent = `Person ${person}`;
    const canvas = li.querySelector('.spark');
    const ratio = window.devicePixelRatio || 1;
    Object.assign(canvas, { width: SPARK.width * ratio, height: SPARK.height * ratio });
    Object.assign(canvas.style, { width: `${SPARK.width}px`, height: `${SPARK.height}px` });
    this.items.set(person, li);
    return li;
  }

  fill(li, p) {
    const [best] = p.top;
    Object.assign(li.dataset, { inView: p.inView, label: best.label });
    li.querySelector('.presence').textContent = presence(p);
    li.querySelector('.person-now .emoji').textContent = best.emoji;
    li.querySelector('.person-now .label').textContent = best.label;
    li.querySelector('.person-now .score').textContent = percent(best.score);
    li.querySelector('.person-top3').replaceChildren(...p.top.map(({ label, emoji, score }) => {
      const item = document.createElement('li');
      item.dataset.label = label;
      item.textContent = `${emoji} ${label} ${percent(score)}`;
      return item;
    }));
    const shares = this.labels.filter((label) => p.share[label] > 0).sort((a, b) => p.share[b] - p.share[a]);
    li.querySelector('.person-share').textContent = shares.length
      ? `Share of time: ${shares.map((label) => `${this.emoji[label]} ${label} ${percent(p.share[label])}`).join(' · ')}`
      : 'Share of time: (just arrived)';
    this.drawSpark(li.querySelector('.spark'), p);
  }

  // The top expression over the last HISTORY_S s: one row per expression (emoji on the
  // left), a bar where it was the top one. The canvas's label says the same in words.
  drawSpark(canvas, p) {
    const ctx = canvas.getContext('2d');
    const ratio = canvas.width / SPARK.width;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, SPARK.width, SPARK.height);
    const style = getComputedStyle(canvas);
    const axis = 18;
    const row = SPARK.height / this.labels.length;
    ctx.font = `${Math.floor(row * 0.85)}px ${style.getPropertyValue('--emoji-fonts')}, sans-serif`;
    ctx.textBaseline = 'middle';
    ctx.fillStyle = style.getPropertyValue('--muted').trim() || '#555';
    this.labels.forEach((label, j) => ctx.fillText(this.emoji[label], 0, (j + 0.5) * row));
    ctx.fillRect(axis, 0, 1, SPARK.height);
    ctx.fillStyle = style.getPropertyValue('--accent').trim() || '#d9480f';
    const span = SPARK.width - axis - 1;
    const t = now();
    const parts = runs(p.history, t, HISTORY_S);
    for (const { from, to, label } of parts) {
      const x0 = axis + 1 + span * (1 + from / HISTORY_S);
      ctx.fillRect(x0, label * row + row * 0.2, Math.max(1, span * (to - from) / HISTORY_S), row * 0.6);
    }
    const latest = parts.length ? ` Latest: ${this.labels[parts.at(-1).label]}.` : '';
    canvas.setAttribute('aria-label', `Person ${p.person}: top expression over the last ${HISTORY_S} s, one row per `
      + `expression, time to the right.${latest}`);
  }
}
