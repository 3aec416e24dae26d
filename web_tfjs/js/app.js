// The page: live sources (camera, shared screen, video file: sources.js) and photo input,
// drawing, the top-3 panel and the speed readout. Recognition itself is Engine.analyze
// (engine.js) for photos and LivePipeline.process (live.js: tracks, temporal TTA, a worker)
// for the live sources. Every result is also published as window.emojiFer.result and as an
// `emoji-fer:result` event on document, which the timeline panel (timeline-panel.js) and
// the participants panel (participants-panel.js) subscribe to.
import { Engine, INPUT_SIZE } from './engine.js';
import { FrameGrabber, LivePipeline } from './live.js';
import { ParticipantsPanel } from './participants-panel.js';
import { SCREEN_ENDED, SOURCES, SourceError, openCamera, openScreen, openVideoFile } from './sources.js';
import { TimelinePanel } from './timeline-panel.js';
import { startPersonalPanel } from './personal-panel.js';
import { MAX_SIDE } from './shared.js';

const $ = (id) => document.getElementById(id);
const ui = {
  button: $('camera-button'), input: $('photo-input'), message: $('message'), video: $('video'),
  photo: $('photo'), overlay: $('overlay'), placeholder: $('placeholder'), readout: $('readout'),
  top3: $('top3'), count: $('faces-count'), json: $('result-json'),
  screen: $('screen-button'), videoInput: $('video-input'), play: $('play-button'), callMode: $('call-mode'),
};
const params = new URLSearchParams(location.search);
const WINDOW = 30; // frames in the rolling speed readout

// source: the live source's kind (sources.js SOURCES: camera, screen, video) while one runs.
const state = {
  engine: null, live: null, timeline: null, stream: null, videoUrl: null, source: null, running: false,
  frames: 0, times: [], stamps: [],
};

// For tests and tools: the latest result, the per-frame timings, readiness.
window.emojiFer = { ready: false, result: null, timings: [], cameraFrames: 0, error: null };

function showMessage(text) {
  ui.message.textContent = text;
  ui.message.hidden = !text;
}

// The camera's text panels (top-3, JSON, speed) change at most this often: nobody reads
// 60 updates a second, and each costs a layout and a repaint on the page's thread,
// which the frames need (the boxes and emoji are still drawn on every frame).
const TEXT_EVERY_MS = 100;
let textShown = -Infinity;

function textDue(now) {
  if (now - textShown < TEXT_EVERY_MS) return false;
  textShown = now;
  return true;
}

function publish(result, showText = true) {
  window.emojiFer.result = result;
  if (showText) ui.json.textContent = JSON.stringify(result, (k, v) => (typeof v === 'number' ? +v.toFixed(4) : v), 1);
  document.dispatchEvent(new CustomEvent('emoji-fer:result', { detail: result }));
}

// ---------- drawing ----------

let fonts = null;
const emojiFonts = () => fonts ??= getComputedStyle(document.documentElement).getPropertyValue('--emoji-fonts');

// What the overlay shows; it is redrawn only when that changes. The camera's boxes move
// only when the detector runs and its emoji when the top-1 changes, and every redraw
// makes the compositor upload and blend the whole overlay again.
let drawn = '';
let lastDrawn = null; // [result, mirrored]: redrawn as it was when the theme changes

// The boxes' colours come from the theme (style.css: --box-main, --box-other, and
// --box-halo, a dark outline under each box in high contrast), read again when it changes.
let colours = null;
function boxColours() {
  if (!colours) {
    const style = getComputedStyle(document.documentElement);
    const [main, other, halo] = ['--box-main', '--box-other', '--box-halo'].map((v) => style.getPropertyValue(v).trim());
    colours = { main: main || '#f59f00', other: other || '#74c0fc', halo: halo && halo !== 'transparent' ? halo : null };
  }
  return colours;
}
document.addEventListener('emoji-fer:theme', () => {
  colours = null;
  drawn = '';
  if (lastDrawn) drawFaces(...lastDrawn);
});

// Every face: its box, its emoji above it, and under it a tag with its text label (never
// colour alone) and, when it has a track, its person number ("#N", as the participants
// panel's "Person N"). The main face (the largest, the self view's) has a solid box, the
// others a dashed one, so the distinction does not rest on colour either.
function drawFaces(result, mirrored) {
  const key = JSON.stringify([result.width, result.height, mirrored,
    result.faces.map((f) => [f.box, f.top[0].label, f.track])]);
  lastDrawn = [result, mirrored];
  if (key === drawn) return;
  drawn = key;
  const { main, other, halo } = boxColours();
  const ctx = ui.overlay.getContext('2d');
  if (ui.overlay.width !== result.width || ui.overlay.height !== result.height) {
    Object.assign(ui.overlay, { width: result.width, height: result.height });
  }
  ctx.clearRect(0, 0, result.width, result.height);
  const line = Math.max(2, Math.round(result.width / 240));
  result.faces.forEach((face, i) => {
    const [x, y, w, h] = face.box;
    const left = mirrored ? result.width - x - w : x;
    if (halo) {
      ctx.lineWidth = 3 * line;
      ctx.strokeStyle = halo;
      ctx.strokeRect(left, y, w, h);
    }
    ctx.lineWidth = line;
    ctx.strokeStyle = i === 0 ? main : other;
    ctx.setLineDash(i === 0 ? [] : [3 * line, 2 * line]);
    ctx.strokeRect(left, y, w, h);
    ctx.setLineDash([]);
    const size = Math.max(18, Math.round(w * 0.35));
    ctx.font = `${size}px ${emojiFonts()}, sans-serif`;
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'center';
    ctx.fillText(face.top[0].emoji, left + w / 2, Math.max(size, y - line));
    drawTag(ctx, `${face.track !== undefined ? `#${face.track} ` : ''}${face.top[0].label}`,
      left + w / 2, Math.min(result.height, y + h + line), Math.max(12, Math.round(w * 0.16)), i === 0);
  });
}

// A text tag centred at x, hanging from y (or standing on the frame's bottom edge): dark
// text on a light plate, readable on any video.
function drawTag(ctx, text, x, y, size, main) {
  ctx.font = `${main ? 'bold ' : ''}${size}px system-ui, sans-serif`;
  const pad = Math.round(size * 0.25);
  const width = ctx.measureText(text).width + 2 * pad;
  const height = size + 2 * pad;
  const top = Math.min(y, ctx.canvas.height - height);
  ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
  ctx.fillRect(x - width / 2, top, width, height);
  ctx.fillStyle = '#111';
  ctx.textBaseline = 'top';
  ctx.textAlign = 'center';
  ctx.fillText(text, x, top + pad);
}

function showTop3(result) {
  const main = result.faces[0];
  ui.top3.replaceChildren(...(main ? main.top : []).map(({ label, emoji, score }) => {
    const li = document.createElement('li');
    li.dataset.label = label;
    const pct = Math.round(score * 100);
    li.innerHTML = `<div class="name"><span><span class="emoji"></span><span class="label"></span></span>`
      + `<span class="score">${pct} %</span></div><div class="bar"><span style="width:${pct}%"></span></div>`;
    li.querySelector('.emoji').textContent = emoji;
    li.querySelector('.label').textContent = label;
    return li;
  }));
  const n = result.faces.length;
  // The camera's faces average the TTA views seen so far (live.js): say how many.
  const views = main?.views !== undefined && main.views < state.engine.classifier.views
    ? ` Its scores average ${main.views} of the model's ${state.engine.classifier.views} views so far.` : '';
  ui.count.textContent = result.whole_image ? 'A small image: classified whole, as one face.'
    : n === 0 ? 'No face found.' : `${n} face${n > 1 ? 's' : ''} found; the largest is the main face.${views}`;
}

// ms/frame = the page's own work per frame (grab + detect + classify), median over the
// last WINDOW frames; fps = frames actually processed per second over them, which the
// camera's frame rate also caps.
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function recordSpeed(result, frameMs) {
  const timing = { ...result.ms, frame: frameMs };
  state.times.push(timing);
  state.stamps.push(performance.now());
  if (state.times.length > WINDOW) { state.times.shift(); state.stamps.shift(); }
  window.emojiFer.timings.push(timing);
  if (window.emojiFer.timings.length > 1000) window.emojiFer.timings.shift();
}

function showSpeed(result) {
  const [ms, classify] = ['frame', 'classify'].map((k) => median(state.times.map((t) => t[k])));
  // The detector runs on some frames only (live.js): its time where it ran, and how often.
  const detects = state.times.map((t) => t.detect).filter((t) => t > 0);
  const detect = detects.length ? `detect ${median(detects).toFixed(1)} on ${Math.round(100 * detects.length / state.times.length)} % of frames`
    : 'no detection';
  const span = (state.stamps.at(-1) - state.stamps[0]) / 1000;
  const fps = span > 0 ? (state.stamps.length - 1) / span : 0;
  Object.assign(ui.readout.dataset, { ms: ms.toFixed(1), fps: fps.toFixed(1), frames: state.frames });
  ui.readout.textContent = `${ms.toFixed(1)} ms/frame (median, grab to result; ${detect}, classify `
    + `${classify.toFixed(1)}) · ${fps.toFixed(1)} fps · backend ${result.backend} · TTA ${result.tta}, one view `
    + `per frame · classifier ${result.worker ? `in ${result.workers} worker${result.workers > 1 ? 's' : ''}` : "on the page's thread"}`;
}

function showStill(result) {
  Object.assign(ui.readout.dataset, { ms: result.ms.total.toFixed(1) });
  ui.readout.textContent = `${result.ms.total.toFixed(1)} ms for this photo (detect ${result.ms.detect.toFixed(1)} + `
    + `classify ${result.ms.classify.toFixed(1)}) · backend ${result.backend} · TTA ${result.tta}`;
}

// ---------- live sources: camera, shared screen, video file ----------

// Opens a live source (sources.js) into the <video> and starts the frame loop; any other
// source stops first. A source that cannot open says why and leaves the page as it was.
async function startSource(kind, file = null) {
  if (state.running) stopSource();
  setSourceButtons(true);
  try {
    if (kind === 'video') {
      state.videoUrl = await openVideoFile(ui.video, file);
    } else {
      state.stream = await (kind === 'screen' ? openScreen() : openCamera());
      ui.video.srcObject = state.stream;
      // The browser's own "Stop sharing" button (or a camera unplugged) ends the track.
      const ended = kind === 'screen' ? SCREEN_ENDED : '';
      state.stream.getVideoTracks()[0].addEventListener('ended', () => state.source === kind && stopSource(ended));
      await ui.video.play();
    }
  } catch (err) {
    stopStream();
    setSourceButtons(false);
    if (err instanceof SourceError) showMessage(err.message);
    else fail(err); // not foreseen (e.g. play() interrupted): said, and the page keeps working
    return;
  }
  showMessage('');
  state.source = kind;
  ui.video.classList.toggle('not-mirrored', !SOURCES[kind].mirrored);
  ui.callMode.checked = SOURCES[kind].callMode;
  setCallMode();
  ui.video.hidden = false;
  ui.photo.hidden = true;
  ui.placeholder.hidden = true;
  state.running = true;
  state.times = [];
  state.stamps = [];
  state.live.reset(); // new tracks: a face seen before the source changed starts again
  setSourceButtons(false);
  state.timeline?.cameraChanged(true);
  nextFrame();
}

function stopSource(message = '') {
  state.running = false;
  cancelFrame();
  stopStream();
  state.source = null;
  setSourceButtons(false);
  state.timeline?.cameraChanged(false);
  if (message) showMessage(message);
}

// Call mode looks for everyone: the detector at the photos' input size, which finds the
// smaller faces of a call's grid (the camera's one large face needs only the video size).
// Only the self view (the camera, call mode off) shows the user's own face as its main
// face, the one face a personal model (personal.js) classifies.
function setCallMode() {
  state.live.detectSize = ui.callMode.checked ? INPUT_SIZE.photo : INPUT_SIZE.video;
  state.live.selfView = state.source === 'camera' && !ui.callMode.checked;
}

function stopStream() {
  state.stream?.getTracks().forEach((t) => t.stop());
  state.stream = null;
  ui.video.srcObject = null;
  if (state.videoUrl) {
    ui.video.pause();
    ui.video.removeAttribute('src');
    ui.video.load();
    URL.revokeObjectURL(state.videoUrl);
    state.videoUrl = null;
  }
}

// The buttons say what a press does now: start or stop each source; play or pause a video.
function setSourceButtons(busy) {
  ui.button.textContent = state.source === 'camera' ? 'Stop camera' : 'Start camera';
  ui.screen.textContent = state.source === 'screen' ? 'Stop sharing' : 'Share a screen';
  ui.button.disabled = busy;
  ui.screen.disabled = busy;
  ui.videoInput.disabled = busy;
  ui.play.hidden = state.source !== 'video';
  ui.play.textContent = ui.video.paused ? 'Play' : 'Pause';
}

// The loop is driven by the camera: requestVideoFrameCallback fires once per new frame
// (requestAnimationFrame where it is missing). Up to IN_FLIGHT frames are processed at
// once, so that the page's thread grabs and detects the next frame while the worker
// classifies this one (live.js); a frame that arrives while IN_FLIGHT are busy is
// processed as soon as one finishes (the newest frame only): no frame twice, no idle wait.
const IN_FLIGHT = 2;
const loop = { busy: 0, pending: false, handle: null };
const byFrame = 'requestVideoFrameCallback' in HTMLVideoElement.prototype;
// A buffer per frame in flight, and one more: a frame's pixels stay put until it is done.
const grabber = new FrameGrabber(IN_FLIGHT + 1);

function nextFrame() {
  if (!state.running) return;
  loop.handle = byFrame ? ui.video.requestVideoFrameCallback(onFrame) : requestAnimationFrame(onFrame);
}

function cancelFrame() {
  if (loop.handle === null) return;
  if (byFrame) ui.video.cancelVideoFrameCallback(loop.handle);
  else cancelAnimationFrame(loop.handle);
  loop.handle = null;
}

function onFrame() {
  if (!state.running) return;
  window.emojiFer.cameraFrames += 1; // every frame the camera delivered, processed or not
  nextFrame();
  if (loop.busy >= IN_FLIGHT) {
    loop.pending = true;
    return;
  }
  runFrame();
}

function runFrame() {
  loop.busy += 1;
  loop.pending = false;
  processFrame().finally(() => {
    loop.busy -= 1;
    if (loop.pending && state.running) runFrame();
  });
}

async function processFrame() {
  if (!state.running) return;
  try {
    const t0 = performance.now();
    if (ui.video.videoWidth && ui.video.videoHeight) {
      const frame = await grabber.grab(ui.video);
      const grabMs = performance.now() - t0;
      const result = await state.live.process(frame);
      result.ms.grab = grabMs;
      if (!state.running) return; // stopped while this frame was being analyzed
      state.frames += 1;
      result.source = state.source;
      result.callMode = ui.callMode.checked; // everyone in view gets a timeline row (timeline.js)
      result.frame = state.frames;
      result.timestamp = t0; // ms (performance.now()) when the frame was grabbed: the timeline's clock
      drawFaces(result, SOURCES[state.source].mirrored);
      recordSpeed(result, performance.now() - t0);
      const text = textDue(performance.now());
      if (text) {
        showTop3(result);
        showSpeed(result);
      }
      publish(result, text);
    }
  } catch (err) {
    fail(err);
    stopSource();
  }
}

// ---------- photo ----------

// Photos larger than MAX_SIDE px (emoji_fer/images.py's, via shared.js) are downscaled
// first, as the Python side does.
async function analyzePhoto(file) {
  if (state.running) stopSource();
  let bitmap;
  try {
    bitmap = await createImageBitmap(file); // applies EXIF orientation, as the Python side does
  } catch {
    showMessage(`"${file.name}" is not an image this browser can read.`);
    return;
  }
  showMessage('');
  const factor = Math.max(1, Math.max(bitmap.width, bitmap.height) / MAX_SIDE);
  const w = Math.round(bitmap.width / factor);
  const h = Math.round(bitmap.height / factor);
  Object.assign(ui.photo, { width: w, height: h });
  const ctx = ui.photo.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  ui.photo.hidden = false;
  ui.video.hidden = true;
  ui.placeholder.hidden = true;
  const result = await state.engine.analyze(ctx, { detectSize: INPUT_SIZE.photo });
  result.source = 'photo';
  result.name = file.name;
  drawFaces(result, false);
  showTop3(result);
  showStill(result);
  publish(result);
}

// ---------- start ----------

function fail(err) {
  console.warn(err); // a warning, not an error: the page handles it and says so
  window.emojiFer.error = String(err.message || err);
  showMessage(`Something went wrong: ${window.emojiFer.error}`);
}

async function main() {
  ui.button.addEventListener('click', () => (state.source === 'camera' ? stopSource() : startSource('camera')));
  ui.screen.addEventListener('click', () => (state.source === 'screen' ? stopSource() : startSource('screen')));
  ui.videoInput.addEventListener('change', () => {
    const file = ui.videoInput.files[0];
    ui.videoInput.value = ''; // the same file chosen again must fire `change` again
    if (file) startSource('video', file).catch(fail);
  });
  ui.play.addEventListener('click', () => (ui.video.paused ? ui.video.play().catch(fail) : ui.video.pause()));
  ui.callMode.addEventListener('change', setCallMode);
  ['play', 'pause', 'ended'].forEach((type) => ui.video.addEventListener(type, () => setSourceButtons(false)));
  ui.input.addEventListener('change', () => {
    const file = ui.input.files[0];
    ui.input.value = ''; // the same file chosen again must fire `change` again
    if (file) analyzePhoto(file).catch(fail);
  });
  try {
    state.engine = await Engine.create({ backend: params.get('backend') || undefined, tta: params.get('tta') || undefined });
  } catch (err) {
    ui.readout.textContent = '';
    fail(err);
    showMessage(`The models could not be loaded: ${window.emojiFer.error}. Serve this folder over http `
      + '(cd web_tfjs && python -m http.server) and open http://localhost:8000/.');
    return;
  }
  const { engine } = state;
  const detectEvery = Number(params.get('detect-every')) || undefined;
  const workers = params.has('workers') ? Number(params.get('workers')) : undefined;
  state.live = await LivePipeline.create(engine, { workers, detectEvery });
  Object.assign(ui.readout.dataset, { backend: engine.backend, tta: engine.tta, worker: state.live.worker });
  ui.readout.textContent = `Ready · backend ${engine.backend} · TTA ${engine.tta}`;
  setSourceButtons(false);
  ui.input.disabled = false;
  try {
    state.timeline = new TimelinePanel(engine.metadata);
    window.emojiFer.timeline = state.timeline.timeline; // rows(), summary(), toCSV(): for tests and tools
  } catch (err) {
    fail(err); // the camera and photos still work without the timeline
  }
  try {
    state.participants = new ParticipantsPanel(engine.metadata);
    window.emojiFer.participants = state.participants.participants; // list(): for tests and tools
  } catch (err) {
    fail(err); // the live sources still work without the panel
  }
  try {
    window.emojiFer.personal = await startPersonalPanel(engine, state.live); // before `ready`: a saved head is in use
  } catch (err) {
    fail(err); // the camera and photos still work with the shipped model
  }
  window.emojiFer.engine = engine;
  window.emojiFer.live = state.live;
  window.emojiFer.ready = true;
  if (params.has('autostart')) startSource('camera');
}

main();
