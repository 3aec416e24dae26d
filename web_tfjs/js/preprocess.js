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
