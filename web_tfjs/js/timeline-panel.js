// The Timeline panel: records the live results (`emoji-fer:result` events of the camera, a
// shared screen or a video file) into a Timeline at the user's rate (in call mode one row
// per person in view, else the main face's), and shows the chart (uPlot, vendor/uplot), the session
// summary, and Reset / Download CSV. The rows, CSV, summary and smoothing are in
// timeline.js (no DOM, tested in Node); this file is only the page around them.
import { DEFAULT_RATE, MAX_RATE, PAGE_MAX_ROWS, Sampler, Timeline } from './timeline.js';

const { uPlot } = globalThis; // vendor/uplot (a classic script in index.html)
// One colour per expression, in the model's label order (FER-2013's): the colours of
// emoji_fer/timeline.py COLORS (matplotlib's tab10), so both plots read alike.
const PALETTE = ['#d62728', '#8c564b', '#9467bd', '#ff7f0e', '#1f77b4', '#e377c2', '#7f7f7f'];
const CHART_HEIGHT = 260;
const CSV_NAME = 'webcam-timeline.csv'; // as the Python demo's download
// Redraws: at most every MIN_REDRAW_MS, and never more than ~10 % of the main thread
// (a whole-session chart of many rows costs tens of ms), which the camera loop shares.
const MIN_REDRAW_MS = 250;
const MAX_REDRAW_SHARE = 0.1;

const $ = (id) => document.getElementById(id);
const percent = (v) => `${Math.round(v * 100)} %`;

export class TimelinePanel {
  constructor({ labels, emoji }) {
    this.labels = labels;
    this.emoji = emoji;
    this.timeline = new Timeline(labels);
    this.sampler = new Sampler(DEFAULT_RATE);
    this.ui = {
      rate: $('tl-rate'), rateValue: $('tl-rate-value'), smoothing: $('tl-smoothing'),
      smoothingValue: $('tl-smoothing-value'), window: $('tl-window'), reset: $('tl-reset'),
      download: $('tl-download'), chart: $('tl-chart'), dominant: $('tl-dominant'), shares: $('tl-shares'),
      status: $('tl-status'), note: $('tl-note'),
    };
    this.camera = false;
    this.pending = false;
    this.lastRender = -Infinity;
    this.redrawMs = MIN_REDRAW_MS;
    this.plot = null;
    this.bind();
    this.render();
  }

  bind() {
    const { ui } = this;
    Object.assign(ui.rate, { min: 0.5, max: MAX_RATE, step: 0.5, value: DEFAULT_RATE });
    ui.rate.addEventListener('input', () => {
      this.sampler.rate = Number(ui.rate.value);
      this.schedule();
    });
    ui.smoothing.addEventListener('input', () => this.schedule());
    ui.window.addEventListener('change', () => this.schedule());
    ui.reset.addEventListener('click', () => this.reset());
    ui.download.addEventListener('click', () => this.download());
    document.addEventListener('emoji-fer:result', (event) => this.offer(event.detail));
    // The chart's axes take the theme's colours (chartOptions): a new chart when it changes.
    document.addEventListener('emoji-fer:theme', () => {
      this.plot?.destroy();
      this.plot = null;
      this.schedule();
    });
    ui.note.textContent = 'Samples are taken while a live source (camera, shared screen, video) runs, at most '
      + `the set number per second (fewer if the page analyzes fewer frames). The CSV holds the raw probabilities of the whole session, up to `
      + `the latest ${PAGE_MAX_ROWS.toLocaleString('en')} samples (${PAGE_MAX_ROWS / MAX_RATE / 3600} h at ${MAX_RATE} `
      + `per second, ${PAGE_MAX_ROWS / DEFAULT_RATE / 3600} h at ${DEFAULT_RATE}); older samples are dropped. Smoothing only `
      + 'changes the chart. Grey bands: samples with no face. Photos are not recorded. In call mode each sample '
      + 'has one CSV row per person in view (the `person` column: the number on the picture); the chart and '
      + 'summary stay those of the main (largest) face, and the participants panel has everyone\'s.';
  }

  // A live result: recorded if a sample is due (at its frame's grab time).
  offer(result) {
    if (result.source === 'photo' || result.timestamp === undefined) return;
    const now = result.timestamp / 1000;
    if (!this.sampler.due(now)) return;
    this.timeline.addResult(this.sampler.record(now), result, { everyone: Boolean(result.callMode) });
    this.schedule();
  }

  cameraChanged(running) {
    this.camera = running;
    this.schedule();
  }

  reset() {
    this.timeline.reset();
    this.sampler.reset();
    this.render();
  }

  download() {
    const blob = new Blob([this.timeline.toCSV()], { type: 'text/csv' });
    const url = URL.createObjectURL(blob);
    const link = Object.assign(document.createElement('a'), { href: url, download: CSV_NAME });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  // One redraw for however many samples or inputs came in since the last one.
  schedule() {
    if (this.pending) return;
    this.pending = true;
    const wait = Math.max(0, this.lastRender + this.redrawMs - performance.now());
    setTimeout(() => requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    }), wait);
  }

  render() {
    const t0 = performance.now();
    this.update();
    this.lastRender = performance.now();
    this.redrawMs = Math.max(MIN_REDRAW_MS, (this.lastRender - t0) / MAX_REDRAW_SHARE);
  }

  update() {
    const { ui, timeline } = this;
    const halfLife = Number(ui.smoothing.value);
    const rate = Number(ui.rate.value);
    ui.rateValue.textContent = `${rate}`;
    ui.smoothingValue.textContent = halfLife > 0 ? `${halfLife} s` : 'off';
    ui.reset.disabled = timeline.length === 0;
    ui.download.disabled = timeline.length === 0;
    this.showSummary();
    this.drawChart({
      windowS: Number(ui.window.value), halfLifeS: halfLife, gapS: Math.max(3, 4 / rate), periodS: 1 / rate,
    });
  }

  showSummary() {
    const { ui, timeline } = this;
    const s = timeline.summary();
    Object.assign(ui.dominant.dataset, { dominant: s.dominant ?? '', samples: s.samples });
    if (!s.samples) {
      ui.dominant.textContent = this.camera ? 'Recording: the first sample comes in a moment.'
        : 'Start the camera, share a screen or open a video to record a timeline.';
    } else if (!s.dominant) {
      ui.dominant.textContent = 'No face found so far.';
    } else {
      ui.dominant.innerHTML = 'Dominant: <span class="emoji"></span> <strong></strong> <span class="share"></span>';
      ui.dominant.querySelector('.emoji').textContent = this.emoji[s.dominant];
      ui.dominant.querySelector('strong').textContent = s.dominant;
      ui.dominant.querySelector('.share').textContent = `(${percent(s.share[s.dominant])} of the samples with a face)`;
    }
    const shares = this.labels.filter((label) => s.share[label] > 0).sort((a, b) => s.share[b] - s.share[a]);
    ui.shares.replaceChildren(...shares.map((label) => {
      const li = document.createElement('li');
      li.dataset.label = label;
      li.dataset.share = s.share[label].toFixed(6);
      li.innerHTML = '<span class="emoji"></span><span class="label"></span><span class="bar"><span></span></span>'
        + '<span class="score"></span>';
      li.querySelector('.emoji').textContent = this.emoji[label];
      li.querySelector('.label').textContent = label;
      li.querySelector('.bar span').style.width = `${s.share[label] * 100}%`;
      li.querySelector('.score').textContent = percent(s.share[label]);
      return li;
    }));
    const perSecond = s.duration_s > 0 ? ` (${((s.samples - 1) / s.duration_s).toFixed(1)} per second)` : '';
    let status = s.samples ? `${s.samples} samples over ${s.duration_s.toFixed(1)} s${perSecond}; `
      + `${s.no_face} with no face.` : '';
    if (timeline.dropped) {
      status += ` The oldest ${timeline.dropped.toLocaleString('en')} samples were dropped: a session keeps `
        + `the latest ${timeline.maxRows.toLocaleString('en')}.`;
    }
    if (s.samples && !this.camera) status += ' Paused: no live source is running.';
    ui.status.textContent = status;
    Object.assign(ui.status.dataset, { noFace: s.no_face, dropped: timeline.dropped });
  }

  drawChart(options) {
    const data = this.timeline.plotData(options);
    this.view = data;
    const columns = [data.x, ...data.y];
    if (!this.plot) {
      this.plot = new uPlot(this.chartOptions(), columns, this.ui.chart);
      this.resizer ??= new ResizeObserver(() => {
        const width = this.ui.chart.clientWidth;
        if (width && this.plot && width !== this.plot.width) this.plot.setSize({ width, height: CHART_HEIGHT });
      });
      this.resizer.observe(this.ui.chart);
    } else {
      this.plot.setData(columns);
    }
  }

  chartOptions() {
    const muted = getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || '#555';
    const axis = { stroke: muted, grid: { stroke: '#e9ecef', width: 1 }, ticks: { stroke: '#dee2e6', width: 1 } };
    const blank = (v, text) => (v == null ? '–' : text);
    return {
      width: this.ui.chart.clientWidth || 600,
      height: CHART_HEIGHT,
      cursor: { drag: { x: false, y: false } }, // no zooming: the window follows the session
      scales: {
        x: { time: false, range: () => this.view.range },
        y: { range: [0, 1] },
      },
      axes: [
        { ...axis, label: 'time (s)', labelSize: 20 },
        { ...axis, label: 'probability', labelSize: 20, size: 40, values: (u, ticks) => ticks.map((v) => v.toFixed(1)) },
      ],
      series: [
        { label: 'time', value: (u, v) => blank(v, `${v?.toFixed(1)} s`) },
        ...this.labels.map((label, i) => ({
          label: `${this.emoji[label]} ${label}`,
          stroke: PALETTE[i % PALETTE.length],
          width: 1.6,
          points: { show: false },
          value: (u, v) => blank(v, v?.toFixed(2)),
        })),
      ],
      // A colour key (filled markers); the values are in the CSV.
      legend: { live: false, markers: { fill: (u, i) => PALETTE[(i - 1) % PALETTE.length] } },
      hooks: { drawClear: [(u) => this.drawNoFace(u)] },
    };
  }

  // Grey bands behind the lines where samples had no face.
  drawNoFace(u) {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.beginPath();
    ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
    ctx.clip();
    ctx.fillStyle = 'rgba(134, 142, 150, 0.22)';
    for (const [t0, t1] of this.view.noFace) {
      const x0 = u.valToPos(t0, 'x', true);
      const x1 = u.valToPos(t1, 'x', true);
      ctx.fillRect(x0, bbox.top, Math.max(1, x1 - x0), bbox.height);
    }
    ctx.restore();
  }
}
