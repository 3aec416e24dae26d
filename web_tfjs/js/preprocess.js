// Face crop -> model input, bit-for-bit as emoji_fer/preprocessing.py does it with Pillow:
// grayscale as PIL convert('L'), the box widened by expand_box, the crop resized to 48x48
// with PIL's BILINEAR (an antialiased triangle filter when downscaling, not the 4-tap
// bilinear of tf.image.resizeBilinear), then scaled. Pure functions, no DOM: node can
// test them against Pillow (tests/test_web.py).

// Python's round(): halves go to the even neighbour (JS Math.round sends them up).
export function roundHalfEven(v) {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// expand_box: widen [x, y, w, h] by round(w * margin) / round(h * margin) on each side,
// clipped to the image; ints, w and h >= 1.
export function expandBox([x, y, w, h], width, height, margin) {
  const dx = roundHalfEven(w * margin);
  const dy = roundHalfEven(h * margin);
  const x0 = Math.max(0, x - dx);
  const y0 = Math.max(0, y - dy);
  const x1 = Math.min(width, x + w + dx);
  const y1 = Math.min(height, y + h + dy);
  return [x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0)];
}

// PIL convert('L') on RGB(A) pixels of the region [x, y, w, h] of an RGBA image
// (ImageData.data layout): L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16 (ITU-R 601-2).
export function grayRegion(rgba, imageWidth, [x, y, w, h]) {
  const out = new Uint8Array(w * h);
  for (let row = 0; row < h; row += 1) {
    let src = ((y + row) * imageWidth + x) * 4;
    let dst = row * w;
    for (let col = 0; col < w; col += 1, src += 4, dst += 1) {
      out[dst] = (rgba[src] * 19595 + rgba[src + 1] * 38470 + rgba[src + 2] * 7471 + 0x8000) >>> 16;
    }
  }
  return out;
}

// Pillow's libImaging/Resample.c for 8-bit images: per output pixel, triangle-filter
// weights over a support that grows with the downscale factor, normalised, turned into
// 22-bit fixed point; a horizontal pass over the rows the vertical pass needs, each pass
// rounded and clipped to uint8.
const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);

function coefficients(inSize, outSize) {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1.0);
  const support = 1.0 * filterscale; // bilinear filter support 1
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const weights = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx += 1) {
    const center = (xx + 0.5) * scale;
    const ss = 1.0 / filterscale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0.0;
    for (let x = 0; x < xmax; x += 1) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      weights[x] = t < 1.0 ? 1.0 - t : 0.0;
      ww += weights[x];
    }
    for (let x = 0; x < xmax; x += 1) {
      const k = ww !== 0.0 ? weights[x] / ww : weights[x];
      // C's (int)(0.5 + k * 2^22): truncation toward zero; k >= 0 for this filter.
      kk[xx * ksize + x] = Math.trunc(0.5 + k * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(v) {
  if (v >= (1 << PRECISION_BITS) * 256) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / (1 << PRECISION_BITS));
}

// PIL Image.resize((outW, outH), BILINEAR) of a w x h uint8 image; returns Uint8Array.
export function resizeBilinearPIL(src, w, h, outW, outH) {
  if (w === outW && h === outH) return Uint8Array.from(src);
  const horiz = coefficients(w, outW);
  const vert = coefficients(h, outH);
  const needH = outW !== w;
  const needV = outH !== h;
  let img = src;
  let width = w;
  if (needH) {
    // Only the source rows that the vertical pass reads: Pillow's ybox_first..ybox_last.
    const first = vert.bounds[0];
    const last = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];
    const rows = needV ? last - first : h;
    const offset = needV ? first : 0;
    const tmp = new Uint8Array(outW * rows);
    for (let yy = 0; yy < rows; yy += 1) {
      const rowStart = (yy + offset) * w;
      for (let xx = 0; xx < outW; xx += 1) {
        const xmin = horiz.bounds[xx * 2];
        const xmax = horiz.bounds[xx * 2 + 1];
        const k = xx * horiz.ksize;
        let ss = HALF;
        for (let x = 0; x < xmax; x += 1) ss += src[rowStart + x + xmin] * horiz.kk[k + x];
        tmp[yy * outW + xx] = clip8(ss);
      }
    }
    if (needV) for (let i = 0; i < outH; i += 1) vert.bounds[i * 2] -= first;
    img = tmp;
    width = outW;
  }
  if (!needV) return img;
  const out = new Uint8Array(outW * outH);
  for (let yy = 0; yy < outH; yy += 1) {
    const ymin = vert.bounds[yy * 2];
    const ymax = vert.bounds[yy * 2 + 1];
    const k = yy * vert.ksize;
    for (let xx = 0; xx < outW; xx += 1) {
      let ss = HALF;
      for (let y = 0; y < ymax; y += 1) ss += img[(y + ymin) * width + xx] * vert.kk[k + y];
      out[yy * outW + xx] = clip8(ss);
    }
  }
  return out;
}

// A grayscale region (uint8, w x h) -> Float32Array(size*size) model input: PIL's
// BILINEAR resize, then float32(uint8) * float32(scale) as scale() in Python does.
export function grayInput(gray, w, h, prep) {
  const size = prep.input_size;
  const small = resizeBilinearPIL(gray, w, h, size, size);
  const scale = Math.fround(prep.scale);
  const out = new Float32Array(size * size);
  for (let i = 0; i < out.length; i += 1) out[i] = Math.fround(small[i] * scale);
  return out;
}

// One face of an RGBA image -> model input, as crop_face(): box [x, y, w, h] before the
// margin; prep is metadata.preprocessing.
export function cropFace(rgba, imageWidth, imageHeight, box, prep) {
  const region = expandBox(box, imageWidth, imageHeight, prep.face_margin);
  return grayInput(grayRegion(rgba, imageWidth, region), region[2], region[3], prep);
}

// ---------- eye-level alignment: preprocessing.py's eye_line and align_face ----------
// The same float64 operations in the same order as numpy there: sqrt and division are
// correctly rounded in both, and neither fuses a multiply-add, so the pixels are identical.

// eye_line: (cos, sin) of the eye line in image coordinates (y down), pointing to the
// image's right whichever eye is which; [1, 0] when the eyes coincide.
export function eyeLine(rightEye, leftEye) {
  let vx = leftEye[0] - rightEye[0];
  let vy = leftEye[1] - rightEye[1];
  if (vx < 0) {
    vx = -vx;
    vy = -vy;
  }
  const norm = Math.sqrt(vx * vx + vy * vy);
  return norm === 0 ? [1.0, 0.0] : [vx / norm, vy / norm];
}

// The output grid of align_face for a box [x, y, w, h] (ints, before the margin): its
// size and the source position of output pixel (i, j), as numpy computes it:
// u = (j + 0.5) - outW / 2, v = (i + 0.5) - outH / 2,
// sx = ((cx + u * cos) - v * sin) - 0.5, sy = ((cy + u * sin) + v * cos) - 0.5.
// The terms of one column or row are computed once (the same values, so the same bits).
function alignGrid([x, y, w, h], eyes, margin) {
  const [cos, sin] = eyeLine(eyes[0], eyes[1]);
  const outW = w + 2 * roundHalfEven(w * margin);
  const outH = h + 2 * roundHalfEven(h * margin);
  const cx = x + w / 2;
  const cy = y + h / 2;
  const colX = new Float64Array(outW); // cx + u * cos
  const colY = new Float64Array(outW); // cy + u * sin
  for (let j = 0; j < outW; j += 1) {
    const u = j + 0.5 - outW / 2;
    colX[j] = cx + u * cos;
    colY[j] = cy + u * sin;
  }
  const rowX = new Float64Array(outH); // v * sin
  const rowY = new Float64Array(outH); // v * cos
  for (let i = 0; i < outH; i += 1) {
    const v = i + 0.5 - outH / 2;
    rowX[i] = v * sin;
    rowY[i] = v * cos;
  }
  return {
    outW,
    outH,
    sx: (i, j) => colX[j] - rowX[i] - 0.5,
    sy: (i, j) => colY[j] + rowY[i] - 0.5,
    colX,
    colY,
    rowX,
    rowY,
  };
}

// The image region [x, y, w, h] that alignFace reads for this face: the rotated grid's
// bounding box (its corners, one pixel more for rounding and the bilinear neighbour),
// clipped to the image. Only this much is converted to grayscale.
export function alignRegion(box, eyes, margin, imageWidth, imageHeight) {
  const { outW, outH, sx, sy } = alignGrid(box, eyes, margin);
  const corners = [[0, 0], [0, outW - 1], [outH - 1, 0], [outH - 1, outW - 1]];
  const xs = corners.map(([i, j]) => Math.floor(sx(i, j)));
  const ys = corners.map(([i, j]) => Math.floor(sy(i, j)));
  const clamp = (v, n) => Math.min(n - 1, Math.max(0, v));
  const x0 = clamp(Math.min(...xs) - 1, imageWidth);
  const y0 = clamp(Math.min(...ys) - 1, imageHeight);
  const x1 = clamp(Math.max(...xs) + 2, imageWidth);
  const y1 = clamp(Math.max(...ys) + 2, imageHeight);
  return [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

// align_face: the widened box rotated about the box's centre so that the eyes are level.
// gray: the uint8 pixels of `region` ([x, y, w, h], row-major; the whole image by default)
// of an imageWidth x imageHeight grayscale image; box: [x, y, w, h] ints before the margin;
// eyes: [[x, y] right eye, [x, y] left eye] px. Returns {pixels: Uint8Array(outW * outH),
// width: outW, height: outH}. Samples outside the image repeat its edge pixels, which
// must lie inside `region` (alignRegion gives such a region).
export function alignFace(gray, imageWidth, imageHeight, box, eyes, margin,
  region = [0, 0, imageWidth, imageHeight]) {
  const { outW, outH, colX, colY, rowX, rowY } = alignGrid(box, eyes, margin);
  const [rx, ry, rw] = region;
  const out = new Uint8Array(outW * outH);
  const maxX = imageWidth - 1;
  const maxY = imageHeight - 1;
  for (let i = 0, o = 0; i < outH; i += 1) {
    const vx = rowX[i];
    const vy = rowY[i];
    for (let j = 0; j < outW; j += 1, o += 1) {
      const sx = colX[j] - vx - 0.5;
      const sy = colY[j] + vy - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      let xa = x0 - rx;
      let xb = xa + 1;
      let ya = (y0 - ry) * rw;
      let yb = ya + rw;
      if (x0 < 0 || y0 < 0 || x0 >= maxX || y0 >= maxY) { // the edge pixels repeat
        xa = Math.min(maxX, Math.max(0, x0)) - rx;
        xb = Math.min(maxX, Math.max(0, x0 + 1)) - rx;
        ya = (Math.min(maxY, Math.max(0, y0)) - ry) * rw;
        yb = (Math.min(maxY, Math.max(0, y0 + 1)) - ry) * rw;
      }
      const value = (1 - fy) * ((1 - fx) * gray[ya + xa] + fx * gray[ya + xb])
        + fy * ((1 - fx) * gray[yb + xa] + fx * gray[yb + xb]);
      out[o] = Math.min(255, Math.floor(value + 0.5)); // value >= 0: a convex combination of uint8
    }
  }
  return { pixels: out, width: outW, height: outH };
}

// The eyes that alignment uses from a face's keypoints ({name: [x, y]}), named by
// prep.align.keypoints (right eye, left eye); null without alignment or without them.
export function alignEyes(keypoints, prep) {
  const names = prep.align?.keypoints;
  if (!names || !keypoints) return null;
  const eyes = names.map((name) => keypoints[name]);
  return eyes.every(Boolean) ? eyes : null;
}

// One face of an RGBA image -> model input, as crop_face() with its `eyes`: aligned when
// eyes are given ([[x, y], [x, y]], right then left) and prep has "align".
export function cropAligned(rgba, imageWidth, imageHeight, box, prep, eyes) {
  if (!eyes || !prep.align) return cropFace(rgba, imageWidth, imageHeight, box, prep);
  const region = alignRegion(box, eyes, prep.face_margin, imageWidth, imageHeight);
  const gray = grayRegion(rgba, imageWidth, region);
  const aligned = alignFace(gray, imageWidth, imageHeight, box, eyes, prep.face_margin, region);
  return grayInput(aligned.pixels, aligned.width, aligned.height, prep);
}

// ---------- the detector's photo input: blazeface.py's letterbox ----------

// Where an image of width x height lands in the detector's size x size input: the longer
// side scaled to `size` (Python's round), centred at integer (dx, dy). Source pixel (x, y)
// lands at (x * scaleX + dx, y * scaleY + dy).
export function letterboxGeometry(width, height, size) {
  const factor = size / Math.max(width, height);
  const w = Math.max(1, roundHalfEven(width * factor));
  const h = Math.max(1, roundHalfEven(height * factor));
  return { w, h, dx: Math.floor((size - w) / 2), dy: Math.floor((size - h) / 2), scaleX: w / width, scaleY: h / height };
}

// blazeface.letterbox, bit for bit: the RGB channels of an RGBA image each resized with
// PIL's BILINEAR (Pillow resizes an RGB image channel by channel with the same weights),
// pasted at (dx, dy) on black. Returns {pixels: Uint8Array(size * size * 3) RGB, ...geometry}.
export function letterbox(rgba, width, height, size) {
  const geometry = letterboxGeometry(width, height, size);
  const { w, h, dx, dy } = geometry;
  const pixels = new Uint8Array(size * size * 3);
  const plane = new Uint8Array(width * height);
  for (let c = 0; c < 3; c += 1) {
    for (let i = 0; i < plane.length; i += 1) plane[i] = rgba[i * 4 + c];
    const small = resizeBilinearPIL(plane, width, height, w, h);
    for (let row = 0; row < h; row += 1) {
      let dst = ((row + dy) * size + dx) * 3 + c;
      for (let col = 0; col < w; col += 1, dst += 3) pixels[dst] = small[row * w + col];
    }
  }
  return { pixels, ...geometry };
}
