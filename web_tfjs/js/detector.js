// Face detection with BlazeFace (Bazarevsky et al. 2019, "BlazeFace: Sub-millisecond
// Neural Face Detection on Mobile GPUs"), the "back" variant: 256x256 input, 896 anchors
// on a 16x16 (2 per cell) and an 8x8 (6 per cell) grid, each predicting a face score and
// a box (plus 6 landmarks, unused here).
//
// Why BlazeFace and not face-api's TinyFaceDetector: on 42 frames of woman2.mp4 (640x480,
// faces ~160 px) its boxes are within a few px of the dlib HOG boxes that the Python side
// crops (mean size difference +6 px), while TinyFaceDetector's were 30-110 px larger
// depending on its input size; that shifted the 48x48 crop and, at the input size fast
// enough for video (224), changed the top-1 expression on 15 of the 42 frames (vs 4).
const { tf } = globalThis;

// The model was converted for 256x256 inputs but is fully convolutional (vendor.mjs frees
// the input size): any multiple of 32 works, with anchors on the matching grids. Photos
// use 256 (small faces in group photos). Live video uses 128, half the detector time:
// webcam faces are large, and on 42 frames of woman2.mp4 it found every face with boxes
// as close to dlib's as at 256 (mean size difference -2 px vs +6 px).
export const INPUT_SIZE = { photo: 256, video: 128 };
const MIN_SCORE = 0.5; // ../shared/samples: at least dlib's faces in each photo, none in no-faces.jpg
const IOU = 0.3;
const MAX_FACES = 20;

function anchors(size) {
  const centers = [];
  for (const [stride, perCell] of [[16, 2], [32, 6]]) {
    for (let gy = 0; gy < size / stride; gy += 1) {
      for (let gx = 0; gx < size / stride; gx += 1) {
        for (let k = 0; k < perCell; k += 1) centers.push([stride * (gx + 0.5), stride * (gy + 0.5)]);
      }
    }
  }
  return tf.tensor2d(centers);
}

export class FaceDetector {
  static async load(url) {
    return new FaceDetector(await tf.loadGraphModel(url));
  }

  constructor(model) {
    this.model = model;
    this.heads = model.artifacts.modelTopology.node.filter((n) => n.op === 'Reshape').map((n) => n.input[0]);
    this.anchors = {};
    // The image is letterboxed into this canvas by the browser's own (fast) scaler: the
    // detector needs no exact pixels, only the classifier's crops do.
    this.ctx = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  }

  // source: anything drawImage takes (video, canvas, ImageBitmap) of width x height px;
  // size: the detector's input side (INPUT_SIZE). Returns [{box: [x, y, w, h] floats in
  // source pixels, score}], best first.
  async detect(source, width, height, size = INPUT_SIZE.photo) {
    if (!this.anchors[size]) this.anchors[size] = anchors(size);
    if (this.ctx.canvas.width !== size) {
      Object.assign(this.ctx.canvas, { width: size, height: size });
      this.ctx.imageSmoothingQuality = 'high'; // mipmapped downscale: no aliasing on big photos
    }
    const scale = size / Math.max(width, height);
    const dw = width * scale;
    const dh = height * scale;
    const dx = (size - dw) / 2;
    const dy = (size - dh) / 2;
    this.ctx.fillStyle = 'black';
    this.ctx.fillRect(0, 0, size, size);
    this.ctx.drawImage(source, 0, 0, width, height, dx, dy, dw, dh);
    const [boxes, scores] = tf.tidy(() => {
      const x = tf.sub(tf.div(tf.expandDims(tf.browser.fromPixels(this.ctx.canvas), 0), 127.5), 1);
      // The 4 head convolutions, [1, grid, grid, channels]: scores (2 anchors per cell on the
      // 16-px grid, 6 on the 32-px grid) and regressions (16 per anchor). Taken before the
      // graph's own reshapes, which are hard-wired for 256 px.
      const [s16, s32, r16, r32] = this.model.execute(x, this.heads)
        .sort((a, b) => a.shape[3] - b.shape[3]);
      const flat = (t, k) => tf.reshape(t, [-1, k]);
      const raw = tf.concat([
        tf.concat([flat(s16, 1), flat(r16, 16)], 1), tf.concat([flat(s32, 1), flat(r32, 16)], 1)], 0);
      const centers = tf.add(tf.slice(raw, [0, 1], [-1, 2]), this.anchors[size]);
      const half = tf.div(tf.slice(raw, [0, 3], [-1, 2]), 2);
      return [tf.concat([tf.sub(centers, half), tf.add(centers, half)], 1),
        tf.squeeze(tf.sigmoid(tf.slice(raw, [0, 0], [-1, 1])), [1])];
    });
    try {
      // corner order for NMS is [y1, x1, y2, x2] or [x1, y1, x2, y2] alike: IoU is symmetric
      const keep = await tf.image.nonMaxSuppressionAsync(boxes, scores, MAX_FACES, IOU, MIN_SCORE);
      const kept = await keep.data();
      keep.dispose();
      if (kept.length === 0) return [];
      const [b, s] = await Promise.all([boxes.data(), scores.data()]);
      return Array.from(kept, (i) => {
        const [x0, y0, x1, y1] = [b[i * 4], b[i * 4 + 1], b[i * 4 + 2], b[i * 4 + 3]];
        return { box: [(x0 - dx) / scale, (y0 - dy) / scale, (x1 - x0) / scale, (y1 - y0) / scale], score: s[i] };
      });
    } finally {
      tf.dispose([boxes, scores]);
    }
  }
}
