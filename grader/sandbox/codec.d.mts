// Types of codec.mjs (plain JavaScript: the sandbox child loads it without a compiler).
export declare const REQUEST: number;
export declare const REPLY: number;
export declare const ORACLE_CALL: number;
export declare const ORACLE_REPLY: number;
export declare const HEADER_BYTES: number;
export declare const BODY_PREFIX: number;
export declare const TAGS: Record<'UNDEF' | 'NULL' | 'FALSE' | 'TRUE' | 'NUM' | 'STR' | 'ARR' | 'OBJ' | 'VEC' | 'MAT' | 'OPAQUE', number>;
export declare class EncodeError extends Error {}
export declare class DecodeError extends Error {}
export declare class PackedMatrix {
  constructor(rows: number, cols: number, data: Float64Array);
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}
export interface DecodeBudget { entries: number; containers: number; usedEntries: number; usedContainers: number }
export declare function decodeBudget(entries: number, containers: number): DecodeBudget;
export declare function encodeFrame(kind: number, id: number, value: unknown, opts?: {
  maxBytes?: number;
  isProxy?: (v: unknown) => boolean;
  opaque?: { get(o: object): number | undefined } | null;
  packMin?: number;
  /** Write in the buffer of the last frame encoded with reuse (valid until the next such frame: write it out first). */
  reuse?: boolean;
}): Uint8Array;
export declare function decodeBody(body: Uint8Array, opts?: {
  maxDepth?: number;
  budget?: DecodeBudget;
  keepPacked?: boolean;
  packMin?: number;
  opaque?: ((token: number) => unknown) | null;
}): unknown;
export declare function frameKind(body: Uint8Array): { kind: number; id: number };
export declare function announcedLength(header: Uint8Array): number;
