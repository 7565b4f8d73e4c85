// The encoding of every message between the trusted side (client.ts) and the sandbox child
// (child.mjs), on a plain pipe: plain data only, and a decoder that can be handed hostile bytes.
//
// Node's IPC channel with 'advanced' serialization deserialized whatever the child wrote before any
// check could run: a 60 MB message of empty objects held the grading worker for over a minute at
// 3.7 GB, and structured clone keeps sparse arrays and shared references, so a few hundred bytes
// stood for hours of walking. Here every entry of a value takes at least one byte of the message,
// so nothing decoded is larger than the bytes that arrived, and the decoder also stops at a depth,
// an entry budget and a budget of arrays, objects and strings (containers), before it builds them.
//
// Values: undefined, null, booleans, numbers (as float64, so NaN, ±Infinity and −0 survive),
// strings, arrays, plain objects (own enumerable string keys; a class instance travels as its
// fields, as with structured clone). Arrays of numbers travel as a block of float64 (VEC), and
// rectangular number[][] as one block (MAT): decoded back into exactly the same number[][], or kept
// as one Float64Array for a caller that asks for it (see client.ts, callPacked). OPAQUE stands for
// a value one side keeps and the other only holds a token for (a reference function's cache).
//
// This module is loaded by the child before any student code, and keeps its own copies of what it
// uses, so a student who patches globals (Array.isArray, Object.keys, DataView) changes nothing here.

const { isArray } = Array;
const ObjectKeys = Object.keys;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectPrototype = Object.prototype;
const ReflectApply = Reflect.apply;
const StringCtor = String;
const ErrorCtor = Error;
const Uint8ArrayCtor = Uint8Array;
const Float64ArrayCtor = Float64Array;
const DataViewCtor = DataView;
const ArrayCtor = Array;
const { getUint32, setUint32 } = DataView.prototype;
const { set: U8Set, subarray: U8Subarray } = Uint8Array.prototype;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });
const { encodeInto } = TextEncoder.prototype;
const { decode: utf8Decode } = TextDecoder.prototype;
const ObjectDefineProperty = Object.defineProperty;
const NumberIsInteger = Number.isInteger;

// One float64 and its eight bytes: a number is written through these, byte by byte, not through
// DataView's methods (each a call through Reflect.apply with an array of its arguments, slow in the
// fresh process a sandbox is), and a lone number is read back the same way. A block of numbers
// (VEC, MAT) is read by copying its bytes into a Float64Array in one call: a student's 03 networks
// are ≈ 5 million numbers for the worker to read. (Written the same way, through a Float64Array of
// its own, the block cost the child more than it saved: measured in docs/benchmarks.md.) In the
// host's byte order, as both ends run on one machine (little-endian, like the rest of the frame, on
// every platform the grader runs on: x64, arm64). Never in use across student code: a number is
// stored, then its bytes copied, with nothing between.
const F64 = new Float64ArrayCtor(1);
const F64_BYTES = new Uint8ArrayCtor(F64.buffer);
/** A vector shorter than this is read number by number: a Float64Array of its own costs more. */
const BLOCK_MIN = 64;

const UNDEF = 0, NULL = 1, FALSE = 2, TRUE = 3, NUM = 4, STR = 5, ARR = 6, OBJ = 7, VEC = 8, MAT = 9, OPAQUE = 10;

/** Frame kinds: what a message is (the first byte after its length). */
export const REQUEST = 1; // trusted → child: load or call
export const REPLY = 2; // child → trusted: the answer to the request
export const ORACLE_CALL = 3; // child → trusted: a reference function of another exercise, called by the student's code
export const ORACLE_REPLY = 4; // trusted → child: its result
/** Bytes before a frame's body: its length (u32), then the body: kind (u8), id (u32), one encoded value. */
export const HEADER_BYTES = 4;
export const BODY_PREFIX = 5;

/** A value that cannot go into a message; `message` says why, for the student. */
export class EncodeError extends ErrorCtor {}
/** Bytes that are not a message this side would send: the sender is hostile or broken. */
export class DecodeError extends ErrorCtor {}

/**
 * The encoder's state: a growing buffer. `maxBytes` caps the message (past it: EncodeError),
 * `isProxy` tells a Proxy (which is not data), `opaque` maps objects that stand for a kept value
 * to their token, `packMin` is how many numbers a rectangular matrix needs to travel as MAT.
 */
class Writer {
  constructor(maxBytes, isProxy, opaque, packMin, buf = null) {
    this.buf = buf ?? new Uint8ArrayCtor(256);
    this.view = new DataViewCtor(this.buf.buffer);
    this.len = HEADER_BYTES + BODY_PREFIX;
    this.maxBytes = maxBytes;
    this.isProxy = isProxy;
    this.opaque = opaque;
    this.packMin = packMin;
  }

  room(n) {
    const need = this.len + n;
    if (need - HEADER_BYTES > this.maxBytes) throw new EncodeError(`a value of more than ${this.maxBytes / 2 ** 20} MB`);
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8ArrayCtor(size);
    ReflectApply(U8Set, next, [ReflectApply(U8Subarray, this.buf, [0, this.len])]);
    this.buf = next;
    this.view = new DataViewCtor(next.buffer);
  }

  byte(b) { this.room(1); this.buf[this.len++] = b; }
  u32(n) { this.room(4); ReflectApply(setUint32, this.view, [this.len, n, true]); this.len += 4; }
  f64(x) { this.room(8); this.put(x); }

  /** Writes the number `x` at the end (room was made). */
  put(x) {
    F64[0] = x;
    const b = this.buf;
    let p = this.len;
    b[p++] = F64_BYTES[0]; b[p++] = F64_BYTES[1]; b[p++] = F64_BYTES[2]; b[p++] = F64_BYTES[3];
    b[p++] = F64_BYTES[4]; b[p++] = F64_BYTES[5]; b[p++] = F64_BYTES[6]; b[p++] = F64_BYTES[7];
    this.len = p;
  }

  str(s) {
    // at most 3 bytes per UTF-16 unit
    this.room(4 + 3 * s.length);
    const { written } = ReflectApply(encodeInto, utf8Encoder, [s, ReflectApply(U8Subarray, this.buf, [this.len + 4])]);
    ReflectApply(setUint32, this.view, [this.len, written, true]);
    this.len += 4 + written;
  }

  value(v, depth) {
    if (v === undefined) return this.byte(UNDEF);
    if (v === null) return this.byte(NULL);
    const t = typeof v;
    if (t === 'number') { this.byte(NUM); return this.f64(v); }
    if (t === 'boolean') return this.byte(v ? TRUE : FALSE);
    if (t === 'string') { this.byte(STR); return this.str(v); }
    if (t !== 'object') throw new EncodeError(`a ${t} (not data)`);
    if (depth > 64) throw new EncodeError('a value nested more than 64 levels deep (a cycle?)');
    if (this.isProxy(v)) throw new EncodeError('a Proxy (not data)');
    if (this.opaque) {
      const token = this.opaque.get(v);
      if (token !== undefined) { this.byte(OPAQUE); return this.u32(token); }
    }
    if (isArray(v)) return this.array(v, depth);
    const keys = ObjectKeys(v);
    this.byte(OBJ);
    this.u32(keys.length);
    for (let i = 0; i < keys.length; i++) {
      this.str(keys[i]);
      this.value(v[keys[i]], depth + 1);
    }
  }

  array(v, depth) {
    const n = v.length;
    if (n > 0 && this.numbers(v, depth)) return;
    this.byte(ARR);
    this.u32(n);
    for (let i = 0; i < n; i++) this.value(v[i], depth + 1);
  }

  /** Writes `v` as VEC (all numbers) or MAT (rectangular, all numbers, packMin entries or more); false if it is neither. */
  numbers(v, depth) {
    const n = v.length;
    const first = v[0];
    if (typeof first === 'number') {
      for (let i = 1; i < n; i++) if (typeof v[i] !== 'number') return false;
      this.byte(VEC);
      this.u32(n);
      this.room(8 * n);
      for (let i = 0; i < n; i++) this.put(v[i]);
      return true;
    }
    if (!isArray(first) || this.isProxy(first) || depth > 63) return false;
    const cols = first.length;
    if (cols === 0 || n * cols < this.packMin) return false;
    for (let i = 0; i < n; i++) {
      const row = v[i];
      if (!isArray(row) || this.isProxy(row) || row.length !== cols) return false;
      for (let j = 0; j < cols; j++) if (typeof row[j] !== 'number') return false;
    }
    this.byte(MAT);
    this.u32(n);
    this.u32(cols);
    this.room(8 * n * cols);
    for (let i = 0; i < n; i++) {
      const row = v[i];
      for (let j = 0; j < cols; j++) this.put(row[j]);
    }
    return true;
  }
}

const notProxy = () => false;
/** The buffer of the last frame encoded with `reuse`, and whether one such frame is being encoded. */
let kept = null;
let keptBusy = false;

/**
 * One whole frame (length, kind, id, value) ready to write. Throws EncodeError when `value` is
 * not data or the frame would pass `maxBytes`.
 * @param {{ maxBytes?: number, isProxy?: (v: unknown) => boolean, opaque?: WeakMap<object, number> | Map<object, number> | null, packMin?: number, reuse?: boolean }} [opts]
 */
export function encodeFrame(kind, id, value, opts = {}) {
  // `reuse`: the frame is written in the buffer the last such frame was, unless that one is still
  // being encoded (a getter of the value encoding another frame): the caller writes each frame out
  // before it asks for the next (the child, with writeSync). A big reply then costs no fresh memory
  // (03's networks: ≈ 2.6 MB a reply, whose growing buffer was most of their encoding's CPU)
  const reuse = opts.reuse === true && !keptBusy;
  const w = new Writer(opts.maxBytes ?? 2 ** 30, opts.isProxy ?? notProxy, opts.opaque ?? null, opts.packMin ?? 4096, reuse ? kept : null);
  if (reuse) keptBusy = true;
  try {
    w.value(value, 0);
  } finally {
    if (reuse) {
      keptBusy = false;
      kept = w.buf;
    }
  }
  ReflectApply(setUint32, w.view, [0, w.len - HEADER_BYTES, true]);
  w.buf[HEADER_BYTES] = kind;
  ReflectApply(setUint32, w.view, [HEADER_BYTES + 1, id, true]);
  return ReflectApply(U8Subarray, w.buf, [0, w.len]);
}

/** A rectangular matrix kept as it arrived: rows × cols numbers, row by row. */
export class PackedMatrix {
  constructor(rows, cols, data) {
    this.rows = rows;
    this.cols = cols;
    this.data = data;
  }
}

/**
 * What decoding may build, for one message or one batch: `entries` counts array slots, object
 * keys and numbers; `containers` counts arrays, objects and strings (what costs the heap most).
 */
export function decodeBudget(entries, containers) {
  return { entries, containers, usedEntries: 0, usedContainers: 0 };
}

class Reader {
  constructor(body, opts) {
    this.buf = body;
    this.view = new DataViewCtor(body.buffer, body.byteOffset, body.byteLength);
    this.pos = 0;
    this.maxDepth = opts.maxDepth ?? 32;
    this.budget = opts.budget ?? decodeBudget(Infinity, Infinity);
    this.keepPacked = opts.keepPacked ?? false;
    this.packMin = opts.packMin ?? 4096;
    this.opaque = opts.opaque ?? null;
  }

  need(n) {
    if (!(n >= 0) || this.pos + n > this.buf.length) throw new DecodeError('a message shorter than the value it announces');
  }

  spend(entries, containers) {
    const b = this.budget;
    b.usedEntries += entries;
    b.usedContainers += containers;
    if (b.usedEntries > b.entries) throw new DecodeError(`a value of more than ${b.entries} entries in all`);
    if (b.usedContainers > b.containers) throw new DecodeError(`a value of more than ${b.containers} arrays, objects and strings in all`);
  }

  u8() { this.need(1); return this.buf[this.pos++]; }
  u32() { this.need(4); const n = ReflectApply(getUint32, this.view, [this.pos, true]); this.pos += 4; return n; }
  f64() { this.need(8); return this.take(); }

  /** The number at the current position (need was checked). */
  take() {
    const b = this.buf;
    let p = this.pos;
    F64_BYTES[0] = b[p++]; F64_BYTES[1] = b[p++]; F64_BYTES[2] = b[p++]; F64_BYTES[3] = b[p++];
    F64_BYTES[4] = b[p++]; F64_BYTES[5] = b[p++]; F64_BYTES[6] = b[p++]; F64_BYTES[7] = b[p++];
    this.pos = p;
    return F64[0];
  }

  /** The `count` numbers at the current position (need was checked), their bytes copied in one call. */
  block(count) {
    const block = new Float64ArrayCtor(count);
    ReflectApply(U8Set, new Uint8ArrayCtor(block.buffer), [ReflectApply(U8Subarray, this.buf, [this.pos, this.pos + 8 * count])]);
    this.pos += 8 * count;
    return block;
  }

  str() {
    const n = this.u32();
    this.need(n);
    this.spend(0, 1);
    const s = ReflectApply(utf8Decode, utf8Decoder, [ReflectApply(U8Subarray, this.buf, [this.pos, this.pos + n])]);
    this.pos += n;
    return s;
  }

  value(depth) {
    const tag = this.u8();
    switch (tag) {
      case UNDEF: return undefined;
      case NULL: return null;
      case FALSE: return false;
      case TRUE: return true;
      case NUM: return this.f64();
      case STR: return this.str();
      case OPAQUE: {
        const token = this.u32();
        if (!this.opaque) throw new DecodeError('a kept value where none may be');
        return this.opaque(token);
      }
      default: break;
    }
    if (depth >= this.maxDepth) throw new DecodeError(`a value nested more than ${this.maxDepth} levels deep`);
    if (tag === ARR) {
      const n = this.u32();
      this.need(n); // every entry takes a byte at least: nothing is built for bytes that never came
      this.spend(n, 1);
      const out = new ArrayCtor(n);
      for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
      return out;
    }
    if (tag === OBJ) {
      const n = this.u32();
      this.need(5 * n);
      this.spend(n, 1);
      const out = {};
      for (let i = 0; i < n; i++) {
        const k = this.str();
        const v = this.value(depth + 1);
        if (k === '__proto__') ObjectDefineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
        else out[k] = v;
      }
      return out;
    }
    if (tag === VEC) {
      const n = this.u32();
      this.need(8 * n);
      this.spend(n, 1);
      const out = new ArrayCtor(n);
      if (n < BLOCK_MIN) {
        for (let i = 0; i < n; i++) out[i] = this.take();
        return out;
      }
      const block = this.block(n);
      for (let i = 0; i < n; i++) out[i] = block[i];
      return out;
    }
    if (tag === MAT) {
      const rows = this.u32();
      const cols = this.u32();
      if (rows < 1 || cols < 1 || !NumberIsInteger(rows * cols)) throw new DecodeError(`a matrix of ${rows} × ${cols}`);
      this.need(8 * rows * cols);
      if (this.keepPacked && rows * cols >= this.packMin) {
        this.spend(rows * cols, 1);
        return new PackedMatrix(rows, cols, this.block(rows * cols));
      }
      this.spend(rows * cols + rows, 1 + rows);
      const block = this.block(rows * cols);
      const out = new ArrayCtor(rows);
      for (let i = 0, k = 0; i < rows; i++) {
        const row = new ArrayCtor(cols);
        for (let j = 0; j < cols; j++, k++) row[j] = block[k];
        out[i] = row;
      }
      return out;
    }
    throw new DecodeError(`an unknown tag ${StringCtor(tag)}`);
  }
}

/**
 * The value in a frame's body (after its kind and id). Throws DecodeError for bytes this codec
 * would not have written, or past `maxDepth` (default 32) or `budget` (see decodeBudget).
 * @param {Uint8Array} body
 * @param {{ maxDepth?: number, budget?: ReturnType<typeof decodeBudget>, keepPacked?: boolean, packMin?: number, opaque?: ((token: number) => unknown) | null }} [opts]
 */
export function decodeBody(body, opts = {}) {
  const r = new Reader(body, opts);
  r.pos = BODY_PREFIX;
  const v = r.value(0);
  if (r.pos !== body.length) throw new DecodeError('bytes after the value');
  return v;
}

/** The kind and id of a frame's body. */
export function frameKind(body) {
  if (body.length < BODY_PREFIX) throw new DecodeError('a message too short to say what it is');
  return { kind: body[0], id: ReflectApply(getUint32, new DataViewCtor(body.buffer, body.byteOffset, body.byteLength), [1, true]) };
}

/** The length a frame announces in its first HEADER_BYTES bytes. */
export function announcedLength(header) {
  return ReflectApply(getUint32, new DataViewCtor(header.buffer, header.byteOffset, header.byteLength), [0, true]);
}

export const TAGS = { UNDEF, NULL, FALSE, TRUE, NUM, STR, ARR, OBJ, VEC, MAT, OPAQUE };
