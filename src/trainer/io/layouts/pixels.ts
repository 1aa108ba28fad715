/**
 * FER2013's images are CSV fields: width × height grey levels 0–255 as decimal numbers separated by spaces,
 * row-major. One parser for the reader (which checks every row when it lists the file) and the decoder.
 */

/** FER2013's image side. */
export const FER_SIDE = 48;

/**
 * The grey levels of a pixel string, or a sentence saying what is wrong with it (the count, or the first value that
 * is not a whole number 0–255, by position: never the file's text).
 */
export function parsePixels(text: string, width: number, height: number): Uint8Array | string {
  const count = width * height;
  const out = new Uint8Array(count);
  let n = 0;
  let value = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    if (c >= 48 && c <= 57) {
      value = (value < 0 ? 0 : value * 10) + (c - 48);
      if (value > 255) return `value ${n + 1} is above 255`;
    } else if (c === 32 || c === 9 || c === 10 || c === 13) {
      if (value >= 0) {
        if (n < count) out[n] = value;
        n++;
        value = -1;
      }
    } else {
      return `value ${n + 1} holds a character that is not a digit or a space`;
    }
  }
  if (n !== count) return `the pixel string has ${n} values; a ${width}×${height} image needs ${count}`;
  return out;
}

/** Grey levels → RGB with the level in all three channels. */
export function greyToRgb(grey: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(grey.length * 3);
  for (let i = 0; i < grey.length; i++) rgb.fill(grey[i]!, i * 3, i * 3 + 3);
  return rgb;
}
