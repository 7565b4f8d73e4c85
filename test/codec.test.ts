/**
 * The codec's numbers (grader/sandbox/codec.mjs): every float64 goes through a Float64Array and its
 * bytes, not DataView (one number at a time, or a block of 64 or more read whole). Checked against
 * Node's own little-endian writer, byte for byte, and back, bit for bit, on the values a float64 can be (±0, NaN, ±Infinity, subnormals, the extremes)
 * and on 20,000 random bit patterns, alone (NUM), as a vector (VEC), a matrix (MAT), packed, and
 * from a body at an odd offset (a frame cut out of a larger read).
 */
import { describe, expect, it } from 'vitest';
import { decodeBody, encodeFrame, HEADER_BYTES, PackedMatrix, REPLY, TAGS } from '../grader/sandbox/codec.mjs';

/** 20,000 float64 from random bits (a fixed LCG, so the test is the same every run), plus the edge values. */
function float64s(): number[] {
  const edges = [0, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308, Number.MAX_VALUE, -Number.MAX_VALUE, Number.EPSILON, 1, -1, 0.1, 1 / 3];
  const bits = new BigUint64Array(20_000);
  let s = 0x2545f4914f6cdd1dn;
  for (let i = 0; i < bits.length; i++) {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    bits[i] = s;
  }
  return [...edges, ...new Float64Array(bits.buffer)];
}

/** The little-endian bytes of `xs`, written by Node's Buffer (not the codec). */
const le = (xs: number[]) => {
  const b = Buffer.alloc(8 * xs.length);
  xs.forEach((x, i) => b.writeDoubleLE(x, 8 * i));
  return b;
};

const sameBits = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

describe('codec numbers', () => {
  const xs = float64s();

  it('writes a vector as the little-endian float64 of every entry, and reads each back bit for bit', () => {
    const frame = encodeFrame(REPLY, 7, xs);
    // length, kind, id, then VEC, its count and the numbers
    expect(frame[HEADER_BYTES + 5]).toBe(TAGS.VEC);
    expect(Buffer.from(frame.subarray(HEADER_BYTES + 10)).equals(le(xs))).toBe(true);
    expect(sameBits(decodeBody(frame.subarray(HEADER_BYTES)) as number[], xs)).toBe(true);
  });

  it('writes a lone number (NUM) the same way', () => {
    for (const x of xs.slice(0, 40)) {
      const frame = encodeFrame(REPLY, 1, x);
      expect(Buffer.from(frame.subarray(HEADER_BYTES + 6)).equals(le([x]))).toBe(true);
      expect(Object.is(decodeBody(frame.subarray(HEADER_BYTES)), x)).toBe(true);
    }
  });

  it('writes a matrix (MAT) row by row, and reads it back as rows or packed, also from a body at an odd offset', () => {
    const cols = 100;
    const m = Array.from({ length: 200 }, (_, i) => xs.slice(i * cols, (i + 1) * cols));
    const frame = encodeFrame(REPLY, 1, m, { packMin: 4096 });
    expect(frame[HEADER_BYTES + 5]).toBe(TAGS.MAT);
    expect(Buffer.from(frame.subarray(HEADER_BYTES + 14)).equals(le(m.flat()))).toBe(true);
    // the same bytes one past an 8-byte boundary
    const shifted = new Uint8Array(frame.length + 1);
    shifted.set(frame, 1);
    const body = shifted.subarray(1 + HEADER_BYTES);
    const rows = decodeBody(body) as number[][];
    expect(rows.length).toBe(200);
    expect(rows.every((r, i) => sameBits(r, m[i]))).toBe(true);
    const packed = decodeBody(body, { keepPacked: true, packMin: 4096 }) as PackedMatrix;
    expect(packed).toBeInstanceOf(PackedMatrix);
    expect([packed.rows, packed.cols]).toEqual([200, 100]);
    expect(sameBits([...packed.data], m.flat())).toBe(true);
  });

  it('reads vectors on both sides of the length where a block is copied whole (64), bit for bit, also at an odd offset', () => {
    for (const n of [1, 2, 63, 64, 65, 1000]) {
      const v = xs.slice(3 * n, 4 * n);
      const frame = encodeFrame(REPLY, 1, v);
      expect(frame[HEADER_BYTES + 5]).toBe(TAGS.VEC);
      const shifted = new Uint8Array(frame.length + 3);
      shifted.set(frame, 3);
      expect(sameBits(decodeBody(frame.subarray(HEADER_BYTES)) as number[], v)).toBe(true);
      expect(sameBits(decodeBody(shifted.subarray(3 + HEADER_BYTES)) as number[], v)).toBe(true);
    }
  });

  it('writes a frame with `reuse` in the last such frame\'s buffer, and a frame a getter encodes meanwhile in one of its own', () => {
    const big = Array.from({ length: 100 }, (_, i) => xs.slice(100 * i, 100 * (i + 1)));
    const first = encodeFrame(REPLY, 1, big, { reuse: true });
    const firstBytes = first.slice();
    expect(sameBits((decodeBody(firstBytes.subarray(HEADER_BYTES)) as number[][]).flat(), big.flat())).toBe(true);
    const second = encodeFrame(REPLY, 2, [1.5, 2.5], { reuse: true });
    expect(second.buffer).toBe(first.buffer); // no fresh memory for the second frame
    expect(decodeBody(second.subarray(HEADER_BYTES))).toEqual([1.5, 2.5]);
    // a getter of the value encodes another frame while this one is being written: each decodes whole
    let inner: Uint8Array | null = null;
    const value = { a: big[0] };
    Object.defineProperty(value, 'b', { enumerable: true, get: () => { inner = encodeFrame(REPLY, 4, big[1], { reuse: true }).slice(); return 7; } });
    const outer = encodeFrame(REPLY, 3, value, { reuse: true }).slice();
    expect(inner).not.toBeNull();
    expect(sameBits(decodeBody(inner!.subarray(HEADER_BYTES)) as number[], big[1])).toBe(true);
    const back = decodeBody(outer.subarray(HEADER_BYTES)) as { a: number[]; b: number };
    expect(sameBits(back.a, big[0])).toBe(true);
    expect(back.b).toBe(7);
  });

  it('reads a number that a getter turns into another on its second read as the codec always did (the type is checked, then the value read)', () => {
    let reads = 0;
    const v = [1, 2];
    Object.defineProperty(v, 1, { get: () => (++reads === 1 ? 2 : 5), enumerable: true });
    expect(decodeBody(encodeFrame(REPLY, 1, v).subarray(HEADER_BYTES))).toEqual([1, 5]);
    expect(reads).toBe(2);
  });
});
