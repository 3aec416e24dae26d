// The "Personal model" panel: collect labelled samples of the user's face (record a few
// seconds of the camera, or add the current face with a chosen label, or confirm the current
// prediction), adapt the classifier's head to them in the tab (personal.js), say how the
// held-out samples fare before and after, and keep, export, import or drop the head.
// Samples stay in the tab's memory; the head is kept in IndexedDB (personal-store.js). Only
// the user's downloads take either out of the tab.
import { PersonalModel, DEFAULT_METHOD } from './personal.js';
import { HOLD_OUT_EVERY, Thinner, describeHead, headFromObject, headToObject } from './personal-data.js';
import { deleteHead, loadHead, saveHead } from './personal-store.js';

// The recorder keeps at most one face every RECORD_INTERVAL_MS: 5 per second, so that 3 s
// give 15 samples a few camera frames apart, not 90 near-duplicates.
const RECORD_INTERVAL_MS = 200;
const FRESH_MS = 2000; // a camera result younger than this means the camera runs
const HEAD_FILE = 'emoji-fer-personal-model.json';
const SAMPLES_FILE = 'emoji-fer-samples.zip';

const $ = (id) => document.getElementById(id);
const percent = (v) => (v === null ? 'n/a' : `${Math.round(v * 100)} %`);

function download(bytes, name, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export class PersonalPanel {
  // engine, live: the page's Engine and LivePipeline.
  constructor(engine, live) {
    this.engine = engine;
    this.live = live;
    this.personal = new PersonalModel(engine, live);
    this.result = null; // the page's latest result
    this.recording = false;
    this.session = `web${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`; // names in the zip
    this.ui = Object.fromEntries(['label', 'duration', 'record', 'add', 'confirm', 'counts', 'adapt',
      'progress', 'clear', 'samples', 'report', 'export', 'import', 'import-file', 'reset', 'message', 'using']
      .map((id) => [id.replace('-file', 'File'), $(`pm-${id}`)]));
    this.bind();
    this.render();
  }

  bind() {
    const { ui, engine } = this;
    ui.label.replaceChildren(...engine.labels.map((label) => new Option(`${engine.emoji[label]} ${label}`, label)));
    ui.duration.addEventListener('change', () => this.render());
    ui.record.addEventListener('click', () => this.guard(() => this.record()));
    ui.add.addEventListener('click', () => this.guard(() => this.addCurrent(ui.label.value)));
    ui.confirm.addEventListener('click', () => this.guard(() => {
      const label = this.result?.faces[0]?.top[0].label; // the prediction the user sees confirmed
      if (!label) throw new Error('No face to confirm: start the camera or upload a photo with a face.');
      return this.addCurrent(label);
    }));
    ui.adapt.addEventListener('click', () => this.guard(() => this.adapt()));
    ui.clear.addEventListener('click', () => {
      this.personal.clear();
      this.say('');
      this.render();
    });
    ui.samples.addEventListener('click', () => this.guard(() => this.downloadSamples()));
    ui.export.addEventListener('click', () => this.exportHead());
    ui.import.addEventListener('click', () => ui.importFile.click());
    ui.importFile.addEventListener('change', () => {
      const file = ui.importFile.files[0];
      ui.importFile.value = ''; // the same file chosen again must fire `change` again
      if (file) this.guard(async () => this.importText(await file.text(), file.name));
    });
    ui.reset.addEventListener('click', () => this.guard(() => this.reset()));
    document.addEventListener('emoji-fer:result', ({ detail }) => {
      const before = this.result?.faces[0]?.top[0].label;
      this.result = detail;
      this.resultAt = performance.now();
      if (detail.faces[0]?.top[0].label !== before) this.render();
    });
  }

  // Runs an action of a control; its failure is said in the panel (and loses nothing).
  async guard(action) {
    try {
      this.say('');
      await action();
    } catch (err) {
      console.warn(err); // handled: the panel says it
      this.say(String(err.message || err));
    } finally {
      this.render();
    }
  }

  say(text) {
    this.ui.message.textContent = text;
    this.ui.message.hidden = !text;
  }

  // At start: the head saved in IndexedDB, if any and if it fits this model.
  async restore() {
    let saved;
    try {
      saved = await loadHead();
    } catch (err) {
      console.warn(err);
      this.say(`Saved personal models cannot be read in this browser (${err.message || err}); using the shipped model.`);
      return;
    }
    if (!saved) return;
    try {
      await this.personal.use(headFromObject(saved, this.personal.model));
    } catch (err) {
      this.say(`The saved personal model was not loaded: ${err.message}. Using the shipped model.`);
    }
    this.render();
  }

  // ---------- collecting ----------

  // Records the main face for the chosen duration, at most one sample every RECORD_INTERVAL_MS.
  async record() {
    if (!this.cameraRunning()) throw new Error('Start the camera first: recording takes your face from it.');
    const label = this.ui.label.value;
    const seconds = Number(this.ui.duration.value);
    const thinner = new Thinner(RECORD_INTERVAL_MS);
    let added = 0;
    this.recording = true;
    this.live.onCrops = (crops) => {
      if (crops.length && thinner.take(performance.now())) {
        this.add(label, crops[0], { later: true }); // copies the input: its buffer goes to a worker next
        added += 1;
      }
    };
    try {
      for (let left = seconds; left > 0; left -= 1) {
        this.ui.record.textContent = `Recording ${this.engine.emoji[label]} ${label}… ${left} s`;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    } finally {
      this.live.onCrops = undefined;
      this.recording = false;
      this.personal.schedule(); // the features of the recorded samples, now that recording is over
    }
    if (!added) throw new Error('No face was seen while recording: nothing was added. Face the camera and try again.');
    this.report(`Recorded ${added} samples of ${label}.`);
  }

  // Adds the current main face with `label`: from the camera's next frame, or from the photo shown.
  async addCurrent(label) {
    let input;
    if (this.cameraRunning()) {
      input = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this.live.onCrops = undefined;
          reject(new Error('No face in the camera just now: nothing was added.'));
        }, FRESH_MS);
        this.live.onCrops = (crops) => {
          if (!crops.length) return;
          clearTimeout(timer);
          this.live.onCrops = undefined;
          resolve(Float32Array.from(crops[0]));
        };
      });
    } else if (this.result?.source === 'photo' && this.result.faces.length) {
      const ctx = $('photo').getContext('2d', { willReadFrequently: true });
      [input] = this.engine.crops(ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height), [this.result.faces[0]]);
    } else {
      throw new Error('No face to add: start the camera or upload a photo with a face.');
    }
    this.add(label, input);
    this.report(`Added the current face as ${label}.`);
  }

  // Adds a sample (label, Float32Array model input; copied) and shows the new counts.
  add(label, input, options) {
    this.personal.add(label, input, options);
    this.render();
  }

  // The camera runs if its latest result is fresh (the panel sees results, not the camera's controls).
  cameraRunning() {
    return this.result?.source === 'camera' && performance.now() - this.resultAt < FRESH_MS;
  }

  // ---------- adapting ----------

  // The page fits with DEFAULT_METHOD only: the class prototypes measured worse, on the
  // user's held-out samples and on other faces (docs/personal-model.md); they stay in
  // personal.js for the measurements (scripts/bench_personal.py).
  async adapt(method = DEFAULT_METHOD) {
    const { progress } = this.ui;
    progress.hidden = false;
    progress.value = 0;
    try {
      await this.personal.featuresReady((done, total) => {
        progress.value = 0.5 * (done / total);
        this.report(`Computing features: ${done} of ${total} samples…`);
      });
      const adapted = await this.personal.adapt({ method, onProgress: (share) => { progress.value = 0.5 + share / 2; } });
      await this.personal.use(adapted);
      this.lastAdapted = adapted;
      const { accuracy, ms } = adapted.info;
      const n = accuracy.heldOut;
      this.report(n
        ? `Accuracy on your ${n} held-out samples (every ${HOLD_OUT_EVERY}th of each expression, not trained on): `
          + `shipped model ${percent(accuracy.before)} → personal model ${percent(accuracy.after)}. `
          + `Trained in ${(ms.train / 1000).toFixed(1)} s.`
        : `Adapted in ${(ms.train / 1000).toFixed(1)} s. Add at least ${HOLD_OUT_EVERY} samples of an expression to `
          + 'measure it on held-out samples.');
      await this.save();
    } finally {
      progress.hidden = true;
    }
  }

  async save() {
    try {
      await saveHead(this.headObject());
    } catch (err) {
      console.warn(err);
      this.say(`The personal model is in use but could not be saved in this browser (${err.message || err}); `
        + 'export it to keep it.');
    }
  }

  headObject() {
    const { head, info } = this.personal.active;
    const { method, samples, accuracy, adapted } = info;
    return headToObject(head, this.personal.model, { method, samples, accuracy, adapted });
  }

  async reset() {
    await this.personal.use(null);
    await deleteHead();
    this.report('Back to the shipped model.');
  }

  // ---------- files ----------

  exportHead() {
    download(JSON.stringify(this.headObject()), HEAD_FILE, 'application/json');
  }

  // A head file's text: checked first, so a bad file changes nothing.
  async importText(text, name = 'the file') {
    let imported;
    try {
      imported = headFromObject(text, this.personal.model);
    } catch (err) {
      throw new Error(`${name} was not imported: ${err.message}. Nothing was changed.`);
    }
    await this.personal.use(imported);
    await this.save();
    this.report(`Imported ${name}.`);
  }

  async downloadSamples() {
    const { samplesZip } = await import('./personal-zip.js');
    const size = this.engine.prep.input_size;
    download(samplesZip(this.personal.samples.samples, size, this.session), SAMPLES_FILE, 'application/zip');
  }

  // ---------- the panel ----------

  report(text) {
    this.ui.report.textContent = text;
  }

  render() {
    const { ui, engine, personal } = this;
    const n = personal.samples.size;
    const counts = personal.samples.counts();
    ui.counts.replaceChildren(...engine.labels.map((label) => {
      const li = document.createElement('li');
      const { train, test } = counts[label];
      li.dataset.label = label;
      li.dataset.count = train + test;
      li.innerHTML = '<span class="emoji" aria-hidden="true"></span><span class="label"></span><span class="count"></span>';
      li.querySelector('.emoji').textContent = engine.emoji[label];
      li.querySelector('.label').textContent = label;
      li.querySelector('.count').textContent = train + test ? `${train + test} (${test} held out)` : '0';
      return li;
    }));
    const camera = this.result?.source === 'camera'; // record() checks that it still runs
    const face = this.result?.faces[0];
    ui.record.disabled = this.recording || !camera;
    if (!this.recording) ui.record.textContent = `Record ${ui.duration.value} s`;
    ui.add.disabled = this.recording || !face;
    ui.confirm.disabled = this.recording || !face;
    ui.confirm.textContent = face ? `Confirm: it is ${face.top[0].emoji} ${face.top[0].label}` : 'Confirm the current prediction';
    ui.adapt.disabled = this.recording || n === 0;
    ui.clear.disabled = this.recording || n === 0;
    ui.samples.disabled = n === 0;
    ui.export.disabled = !personal.active;
    ui.reset.disabled = !personal.active;
    // Only for the user's own face: on other people's faces a head fitted to one face loses
    // the shipped model's top-1 about one time in three (docs/personal-model.md).
    ui.using.textContent = `Results use ${describeHead(personal.active?.info)}${personal.active
      ? " for your own face: the main face of the camera's self view. Photos, shared screens, videos and "
        + 'call mode keep the shipped model' : ''}.`;
    ui.using.dataset.personal = personal.active ? 'yes' : 'no';
  }
}

// Creates the panel, restores a saved head, and exposes it for tests and tools as
// window.emojiFer.personal.
export async function startPersonalPanel(engine, live) {
  const panel = new PersonalPanel(engine, live);
  await panel.restore();
  return panel;
}
