// Where the page's live frames come from: the camera (the self view, mirrored like a
// mirror), a shared screen, window or tab (getDisplayMedia: how a user points the page at
// a video call), or a local video file played in the page. Each is opened into the page's
// <video>, which the frame loop in app.js reads; every failure becomes a message for the
// user (SourceError), never an uncaught error. Nothing is uploaded: the file is read by the
// browser from the user's disk, and the shared screen never leaves the tab.

// What each source is: `mirrored` flips the camera like a mirror (a screen or a video
// shown mirrored would have its text backwards); `callMode` is the default of the page's
// "Everyone in view" switch (a screen or a video shows other people, the camera you).
export const SOURCES = {
  camera: { mirrored: true, callMode: false },
  screen: { mirrored: false, callMode: true },
  video: { mirrored: false, callMode: true },
};

// The camera as before; a shared screen at most about 1280x720 and 15 frames/s: a 4K
// screen would cost the page 9 times the pixels per frame to grab, and the faces of a call
// are large enough at this size (BlazeFace sees 128x128 anyway).
export const CAMERA = { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' };
export const SCREEN = {
  width: { ideal: 1280, max: 1920 }, height: { ideal: 720, max: 1080 }, frameRate: { ideal: 15, max: 30 },
};

// A source that could not open or stopped by itself: `message` is for the user.
export class SourceError extends Error {}

const CAMERA_ERRORS = {
  NotAllowedError: 'Camera access was denied. Allow the camera for this page in the browser\'s site settings, '
    + 'or upload a photo instead.',
  SecurityError: 'The browser blocked the camera for this page. Allow it in the site settings, or upload a photo.',
  NotFoundError: 'No camera was found. Connect one, or upload a photo instead.',
  OverconstrainedError: 'No camera was found that can deliver video. Upload a photo instead.',
  NotReadableError: 'The camera is in use by another program or could not start. Close that program and try again.',
  AbortError: 'The camera could not start. Try again, or upload a photo.',
};

// Chrome and Firefox answer both "the user pressed Cancel" and "screen capture is not
// allowed here" with NotAllowedError, so the message covers both.
const SCREEN_ERRORS = {
  NotAllowedError: 'Screen sharing was cancelled or is not allowed. Press "Share a screen" again and choose a '
    + 'screen, window or tab (the call\'s window); if no picker appears, allow screen capture for this browser in '
    + 'the system or site settings.',
  NotFoundError: 'There is no screen, window or tab to share.',
  NotReadableError: 'The screen could not be captured: the system refused it (on macOS, allow screen recording '
    + 'for the browser in System Settings, then restart it).',
  AbortError: 'Screen sharing could not start. Try again.',
  InvalidStateError: 'Screen sharing must be started by a click on "Share a screen".',
};

export const SCREEN_ENDED = 'Screen sharing stopped (the browser\'s "Stop sharing" button, or the shared window '
  + 'closed). Press "Share a screen" to watch it again.';

// MediaError.code -> why a video file does not play.
const VIDEO_ERRORS = {
  1: 'loading was aborted',
  2: 'it could not be read',
  3: 'this browser cannot decode it',
  4: 'this browser does not support its format or codec',
};

// The camera's MediaStream. Throws SourceError.
export async function openCamera(media = globalThis.navigator?.mediaDevices) {
  if (!media?.getUserMedia) {
    throw new SourceError('This browser gives no camera access here: the camera needs https or http://localhost. '
      + 'Upload a photo instead.');
  }
  try {
    return await media.getUserMedia({ video: CAMERA, audio: false });
  } catch (err) {
    throw new SourceError(CAMERA_ERRORS[err.name] || `The camera could not start (${err.name}: ${err.message}).`);
  }
}

// A shared screen, window or tab as a MediaStream (video only: the page never needs the
// call's sound). Must be called from a click. Throws SourceError.
export async function openScreen(media = globalThis.navigator?.mediaDevices) {
  if (!media?.getDisplayMedia) {
    throw new SourceError('This browser cannot share a screen here: screen sharing needs a desktop browser and '
      + 'https or http://localhost. Open a recorded video file instead.');
  }
  try {
    // preferCurrentTab stays off: the call is in another window or tab, not this one.
    return await media.getDisplayMedia({ video: SCREEN, audio: false, selfBrowserSurface: 'exclude' });
  } catch (err) {
    throw new SourceError(SCREEN_ERRORS[err.name] || `Screen sharing could not start (${err.name}: ${err.message}).`);
  }
}

// The message for a video file the <video> could not play: name, its MediaError (or null).
export function videoErrorMessage(name, error) {
  const why = VIDEO_ERRORS[error?.code] || 'it is not a video';
  return `"${name}" cannot be played: ${why}. Try an MP4 (H.264) or WebM (VP8/VP9) file. The page keeps working.`;
}

// Plays `file` (a File or Blob with a name) in `video` from its start, paused until
// play() succeeds. Resolves with the object URL (revoke it when done); throws SourceError
// with videoErrorMessage when the browser cannot decode it.
export async function openVideoFile(video, file) {
  const url = URL.createObjectURL(file);
  video.srcObject = null;
  video.src = url;
  try {
    await new Promise((resolve, reject) => {
      const done = () => { video.removeEventListener('loadeddata', ok); video.removeEventListener('error', bad); };
      const ok = () => { done(); resolve(); };
      const bad = () => { done(); reject(new SourceError(videoErrorMessage(file.name, video.error))); };
      video.addEventListener('loadeddata', ok);
      video.addEventListener('error', bad);
    });
    if (!video.videoWidth || !video.videoHeight) throw new SourceError(videoErrorMessage(file.name, { code: 3 }));
    await video.play();
    return url;
  } catch (err) {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
    if (err instanceof SourceError) throw err;
    throw new SourceError(videoErrorMessage(file.name, video.error));
  }
}
