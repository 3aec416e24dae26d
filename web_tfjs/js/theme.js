// The high-contrast theme: one attribute, <html data-theme="contrast" | "default">, which
// style.css turns into a palette of CSS custom properties (--fg, --accent, --bar,
// --box-main, ...). The page's canvas drawings read the same properties, and hear of a
// change through an `emoji-fer:theme` event on document ({detail: {theme}}).
//
// The choice is remembered in localStorage under THEME_KEY: a display preference, not
// personal data. Until the user chooses, the page follows the system: `prefers-contrast:
// more` or `forced-colors: active` give the high-contrast theme. The inline script at
// the top of index.html applies the same rule before the first paint.

export const THEME_KEY = 'emoji-fer:theme';
export const THEMES = ['default', 'contrast'];
const SYSTEM_CONTRAST = '(prefers-contrast: more), (forced-colors: active)';

// The stored choice, or null (none, or storage refused: private modes may throw).
function stored() {
  try {
    const value = localStorage.getItem(THEME_KEY);
    return THEMES.includes(value) ? value : null;
  } catch {
    return null;
  }
}

function store(theme) {
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // Not remembered; the theme still applies to this page.
  }
}

export class ThemeToggle {
  // button: a <button> that gets aria-pressed="true" while the high-contrast theme is on.
  constructor(button) {
    this.button = button;
    this.system = matchMedia(SYSTEM_CONTRAST);
    this.apply(stored() ?? this.systemTheme());
    button.addEventListener('click', () => {
      const theme = this.theme === 'contrast' ? 'default' : 'contrast';
      store(theme);
      this.apply(theme);
    });
    this.system.addEventListener('change', () => {
      if (!stored()) this.apply(this.systemTheme());
    });
  }

  systemTheme() {
    return this.system.matches ? 'contrast' : 'default';
  }

  get theme() {
    return document.documentElement.dataset.theme === 'contrast' ? 'contrast' : 'default';
  }

  apply(theme) {
    const changed = theme !== document.documentElement.dataset.theme;
    document.documentElement.dataset.theme = theme;
    this.button.setAttribute('aria-pressed', String(theme === 'contrast'));
    if (changed) document.dispatchEvent(new CustomEvent('emoji-fer:theme', { detail: { theme } }));
  }
}
