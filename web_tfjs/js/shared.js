// The constants the page shares with the Python package, one import point for the page's
// modules. Their values are in shared.json, which `python -m convert.shared` writes from
// the Python modules that define them (the source of truth): change a value there, not
// here, and run that command (tests/test_shared_constants.py fails until it is run).
// A JSON module: Chromium and Node 20 load it natively, so the page keeps no build step.
import shared from './shared.json' with { type: 'json' };

export const {
  MAX_SIDE, // px: a photo's longest side for detection (emoji_fer/images.py)
  WHOLE_IMAGE_MAX_SIDE, // px: a photo this small is one face crop (emoji_fer/predictor.py)
  DEFAULT_RATE, // timeline samples per second by default (emoji_fer/live.py)
  MAX_RATE, // timeline samples per second at most (emoji_fer/live.py)
} = shared;
