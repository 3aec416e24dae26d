// The Announcements panel: turns the page's results (`emoji-fer:result` events) into
// cues with a CueScheduler (cues.js: when a person's top expression changed and held),
// and gives each cue
//   - to an ARIA live region (role=status, polite), which screen readers read out;
//   - to a short visible log, emoji next to the text;
//   - optionally to the browser's speech synthesis (off by default). A cue that comes
//     while the previous one is still being spoken cancels it: the newest is the one that
//     is still true, and a queue of stale cues would lag ever further behind.
// Nothing is stored: the log lives in the page and is gone on reload.
import { CueScheduler, DEFAULT_HOLD_S, MAX_HOLD_S, MIN_HOLD_S } from './cues.js';

const LOG_SIZE = 5; // cues shown in the visible log
const $ = (id) => document.getElementById(id);
const seconds = (s) => `${s} second${s === 1 ? '' : 's'}`;

export class CuesPanel {
  constructor() {
    this.ui = {
      on: $('cue-on'), speak: $('cue-speak'), hold: $('cue-hold'), holdValue: $('cue-hold-value'),
      who: $('cue-who'), speechNote: $('cue-speech-note'), live: $('cue-live'), log: $('cue-log'),
    };
    this.scheduler = new CueScheduler({ holdS: DEFAULT_HOLD_S });
    this.log = []; // every cue of this page view: {time, text, people, spoken}
    this.synth = globalThis.speechSynthesis ?? null;
    this.bind();
  }

  bind() {
    const { ui } = this;
    Object.assign(ui.hold, { min: MIN_HOLD_S, max: MAX_HOLD_S, step: 1, value: DEFAULT_HOLD_S });
    ui.hold.addEventListener('input', () => this.setHold(ui.hold.value));
    ui.who.addEventListener('change', () => { this.scheduler.who = ui.who.value; });
    ui.on.addEventListener('change', () => this.scheduler.reset()); // on again: the current expressions are news
    this.setHold(ui.hold.value);
    if (!this.synth || typeof globalThis.SpeechSynthesisUtterance !== 'function') {
      this.synth = null;
      ui.speak.checked = false;
      ui.speak.disabled = true;
      this.note('This browser has no speech synthesis, so cues cannot be spoken here. They still appear '
        + 'below, where screen readers read them.');
    }
    document.addEventListener('emoji-fer:result', (event) => this.offer(event.detail));
  }

  setHold(value) {
    this.scheduler.holdS = value;
    const s = this.scheduler.holdS;
    this.ui.holdValue.textContent = `${s} s`;
    this.ui.hold.setAttribute('aria-valuetext', seconds(s));
  }

  note(text) {
    this.ui.speechNote.textContent = text;
    this.ui.speechNote.hidden = !text;
  }

  offer(result) {
    if (!this.ui.on.checked) return;
    const cue = this.scheduler.update(result);
    if (cue) this.announce(cue);
  }

  announce(cue) {
    const spoken = this.ui.speak.checked && this.synth !== null;
    this.log.push({ ...cue, spoken });
    this.showLive(cue.text);
    if (spoken) this.say(cue.text);
    this.showLog();
  }

  // The same text twice in a row would not be announced again: empty the region first.
  showLive(text) {
    const { live } = this.ui;
    if (live.textContent !== text) {
      live.textContent = text;
      return;
    }
    live.textContent = '';
    setTimeout(() => { live.textContent = text; }, 100);
  }

  say(text) {
    const { synth } = this;
    if (synth.speaking || synth.pending) synth.cancel();
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = document.documentElement.lang || 'en';
    utterance.addEventListener('error', (event) => {
      // Our own cancel() ends the previous cue with 'interrupted' or 'canceled': expected.
      if (event.error === 'interrupted' || event.error === 'canceled') return;
      this.note(`The browser could not speak the cue (${event.error}). It is still shown below.`);
    });
    utterance.addEventListener('start', () => this.note(''));
    synth.speak(utterance);
  }

  showLog() {
    const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    this.ui.log.replaceChildren(...this.log.slice(-LOG_SIZE).reverse().map((cue) => {
      const li = document.createElement('li');
      const time = document.createElement('time');
      time.textContent = clock.format(new Date(performance.timeOrigin + cue.time * 1000));
      li.append(time);
      for (const person of cue.people) {
        const span = document.createElement('span');
        span.className = 'person';
        span.dataset.label = person.label;
        span.innerHTML = '<span class="emoji" aria-hidden="true"></span> <span class="text"></span>';
        span.querySelector('.emoji').textContent = person.emoji;
        span.querySelector('.text').textContent = person.name ? `${person.name}: ${person.label}` : person.label;
        li.append(span);
      }
      return li;
    }));
  }
}
