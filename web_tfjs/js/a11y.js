// The page's accessibility parts, started after app.js (index.html loads this module
// after it): the high-contrast toggle (theme.js), the Announcements panel (cues-panel.js),
// the skip link, value texts for sliders, and the keyboard focus of busy controls. None
// of them needs the models, so they work while those load, and a failure here leaves the
// camera and photos working.
import { CuesPanel } from './cues-panel.js';
import { ThemeToggle } from './theme.js';

const $ = (id) => document.getElementById(id);

// The skip link moves the keyboard focus itself: following a fragment only scrolls.
function bindSkipLink(link) {
  const target = document.querySelector(link.getAttribute('href'));
  link.addEventListener('click', (event) => {
    event.preventDefault();
    target.focus();
    target.scrollIntoView();
  });
}

// A slider with an <output for=its id> gets that output's text as its aria-valuetext
// ("2 s", "off" rather than the bare number), now and whenever the output changes:
// every slider of the page, whichever panel added it, unless its panel sets its own.
function mirrorSliderValues() {
  const mirrored = new WeakSet();
  const sync = (output) => {
    for (const id of (output.htmlFor.value || '').split(/\s+/)) {
      const input = id && document.getElementById(id);
      if (input?.type !== 'range' || !output.textContent.trim()) continue;
      if (input.hasAttribute('aria-valuetext') && !mirrored.has(input)) continue; // its own
      input.setAttribute('aria-valuetext', output.textContent.trim());
      mirrored.add(input);
    }
  };
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      const output = record.target.nodeType === Node.TEXT_NODE ? record.target.parentElement : record.target;
      const outputs = output?.tagName === 'OUTPUT' ? [output] : output?.querySelectorAll?.('output') ?? [];
      for (const each of outputs) sync(each);
    }
  });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  document.querySelectorAll('output').forEach(sync);
}

// A control disabled while it works (the camera button while the camera starts) loses
// the keyboard focus to the page, and the next key press goes nowhere: give the focus
// back when the control is enabled again, unless the user has moved on meanwhile.
function keepFocusThroughBusy() {
  document.addEventListener('focusout', (event) => {
    const control = event.target;
    if (!control.disabled || event.relatedTarget) return;
    const observer = new MutationObserver(() => {
      if (control.disabled) return;
      observer.disconnect();
      if (control.isConnected && (document.activeElement === document.body || !document.activeElement)) control.focus();
    });
    observer.observe(control, { attributes: true, attributeFilter: ['disabled'] });
  });
}

function start() {
  window.emojiFer ??= {};
  new ThemeToggle($('theme-toggle'));
  bindSkipLink(document.querySelector('.skip-link'));
  keepFocusThroughBusy();
  window.emojiFer.cues = new CuesPanel(); // its log (cues spoken or not): for tests and tools
  mirrorSliderValues();
}

try {
  start();
} catch (err) {
  console.warn(err); // a warning, as app.js's: the page itself still works
}
