// Unit tests of web_tfjs/js/sources.js in Node, with stand-ins for navigator.mediaDevices:
// `node --test tests/web_sources.test.mjs`; tests/test_web.py runs it. The real browser
// paths are in tests/test_web_call.py.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SCREEN, SOURCES, SourceError, openCamera, openScreen, videoErrorMessage } from '../web_tfjs/js/sources.js';

const failing = (name) => ({
  getUserMedia: async () => { throw Object.assign(new Error('no'), { name }); },
  getDisplayMedia: async () => { throw Object.assign(new Error('no'), { name }); },
});

test('only the camera is mirrored; screens and videos start in call mode', () => {
  assert.deepEqual(Object.entries(SOURCES).map(([k, s]) => [k, s.mirrored, s.callMode]),
    [['camera', true, false], ['screen', false, true], ['video', false, true]]);
  assert.equal(SCREEN.width.ideal, 1280); // a 4K screen costs 9x the pixels per frame
});

test('screen sharing: missing, cancelled or denied, refused by the system, anything else', async () => {
  await assert.rejects(openScreen(undefined), (e) => e instanceof SourceError && /cannot share a screen/.test(e.message));
  await assert.rejects(openScreen({}), /cannot share a screen/);
  await assert.rejects(openScreen(failing('NotAllowedError')), /cancelled or is not allowed/);
  await assert.rejects(openScreen(failing('NotReadableError')), /could not be captured/);
  await assert.rejects(openScreen(failing('WeirdError')), /Screen sharing could not start \(WeirdError: no\)/);
  let asked = null;
  const stream = await openScreen({ getDisplayMedia: async (c) => { asked = c; return 'stream'; } });
  assert.equal(stream, 'stream');
  assert.equal(asked.audio, false); // the page never needs the call's sound
  assert.deepEqual(asked.video, SCREEN);
});

test('camera: the messages of before', async () => {
  await assert.rejects(openCamera({}), /needs https or http:\/\/localhost/);
  await assert.rejects(openCamera(failing('NotAllowedError')), /Camera access was denied/);
  await assert.rejects(openCamera(failing('NotFoundError')), /No camera was found/);
});

test('a video file that does not play says which and why', () => {
  assert.match(videoErrorMessage('a.mkv', { code: 4 }), /^"a\.mkv" cannot be played: this browser does not support/);
  assert.match(videoErrorMessage('b.mp4', { code: 3 }), /cannot decode it/);
  assert.match(videoErrorMessage('c.txt', null), /it is not a video/);
});
