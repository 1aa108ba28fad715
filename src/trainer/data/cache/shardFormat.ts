/**
 * The layout of one shard of the prepared-sample cache: fixed-size records, so record i of a shard is read with
 * one positioned read, and a self-describing frame around them that tells a whole shard from a cut one.
 *
 *   preamble (64 bytes): magic "AULSHRD1", then u32 LE: format, side, record size, record count, first index
 *   records: count × record size, record i at 64 + i · record size
 *   footer: JSON (ShardFooter), then 16 bytes: u32 JSON length, u32 crc32 of preamble + JSON, magic "AULSEND1"
 *
 * A record: status u8 (1 = prepared), flags u8 (bit 0: has an AU map), label index u16 LE, crc32 of the payload
 * u32 LE; then the payload: the base square's RGB (side² × 3 bytes) and the AU map quantised to 0–255 (side²).
 */
import { crc32 } from 'node:zlib';

export const SHARD_FORMAT = 1;
export const PREAMBLE_BYTES = 64;
export const TRAILER_BYTES = 16;
export const RECORD_HEADER_BYTES = 8;
const MAGIC = Buffer.from('AULSHRD1', 'latin1');
const END_MAGIC = Buffer.from('AULSEND1', 'latin1');

/** One character per record in the footer: what preparing it found. */
export const SAMPLE_STATUS = {
  /** Prepared, with an AU map. */
  auMap: 'a',
  /** Prepared without an AU map: the class uses no AU (neutral) or every AU fell outside the face. */
  noMap: 'n',
  /** Prepared without an AU map: no face was found (the image still trains with cross-entropy). */
  noFace: 'f',
  /** Not prepared: the file could not be read or decoded; its reason is in the footer. */
  unreadable: 'x',
} as const;
export type SampleStatus = (typeof SAMPLE_STATUS)[keyof typeof SAMPLE_STATUS];

export interface ShardFooter {
  /** The cache key the shard was written for. */
  readonly key: string;
  /** SampleStatus per record. */
  readonly statuses: string;
  /** Why each unreadable record (by slot) could not be prepared. */
  readonly reasons: Readonly<Record<string, string>>;
}

export interface ShardShape {
  readonly side: number;
  readonly count: number;
  readonly firstIndex: number;
}

/** What a thread needs to read a cache's records. */
export interface ShardStoreDescriptor {
  readonly dir: string;
  readonly side: number;
  /** Records per shard: record r is slot r % perShard of shard floor(r / perShard). */
  readonly perShard: number;
}

export function shardFileName(shard: number): string {
  return `shard-${String(shard).padStart(5, '0')}.bin`;
}

export function recordBytes(side: number): number {
  return RECORD_HEADER_BYTES + 4 * side * side;
}

export function recordOffset(side: number, slot: number): number {
  return PREAMBLE_BYTES + slot * recordBytes(side);
}

export function encodePreamble(shape: ShardShape): Buffer {
  const b = Buffer.alloc(PREAMBLE_BYTES);
  MAGIC.copy(b, 0);
  [SHARD_FORMAT, shape.side, recordBytes(shape.side), shape.count, shape.firstIndex].forEach((v, i) => {
    b.writeUInt32LE(v, 8 + 4 * i);
  });
  return b;
}

/** The footer and trailer that close a shard whose preamble is `preamble`. */
export function encodeFooter(preamble: Buffer, footer: ShardFooter): Buffer {
  const json = Buffer.from(JSON.stringify(footer), 'utf8');
  const trailer = Buffer.alloc(TRAILER_BYTES);
  trailer.writeUInt32LE(json.length, 0);
  trailer.writeUInt32LE(crc32(json, crc32(preamble)), 4);
  END_MAGIC.copy(trailer, 8);
  return Buffer.concat([json, trailer]);
}

/** Why a shard file is not the one expected, or undefined when its frame is whole and matches. */
export function checkPreamble(preamble: Buffer, expected: ShardShape): string | undefined {
  if (preamble.length < PREAMBLE_BYTES || !preamble.subarray(0, 8).equals(MAGIC)) return 'not a shard';
  const [format, side, size, count, first] = [0, 1, 2, 3, 4].map((i) => preamble.readUInt32LE(8 + 4 * i));
  if (format !== SHARD_FORMAT) return `shard format ${format}, expected ${SHARD_FORMAT}`;
  if (side !== expected.side || size !== recordBytes(expected.side)) return `records of side ${side}`;
  if (count !== expected.count || first !== expected.firstIndex) return `records ${first}+${count}`;
  return undefined;
}

/** The JSON length a trailer announces, or a reason it is no trailer. */
export function trailerJsonLength(trailer: Buffer): number | string {
  if (trailer.length !== TRAILER_BYTES || !trailer.subarray(8).equals(END_MAGIC)) return 'cut short (no end mark)';
  return trailer.readUInt32LE(0);
}

/** The footer, checked against its crc and the expected key and record count, or a reason it is not valid. */
export function decodeFooter(preamble: Buffer, json: Buffer, trailer: Buffer, key: string, count: number):
  ShardFooter | string {
  if (crc32(json, crc32(preamble)) !== trailer.readUInt32LE(4)) return 'its footer is damaged';
  let footer: Partial<ShardFooter>;
  try {
    footer = JSON.parse(json.toString('utf8')) as Partial<ShardFooter>;
  } catch {
    return 'its footer is not JSON';
  }
  if (footer.key !== key) return 'it belongs to another cache';
  if (typeof footer.statuses !== 'string' || footer.statuses.length !== count) return 'its statuses are incomplete';
  if (typeof footer.reasons !== 'object' || footer.reasons === null) return 'its reasons are missing';
  return { key, statuses: footer.statuses, reasons: footer.reasons };
}

/** A prepared sample as one record (header + payload). */
export function encodeRecord(side: number, label: number, rgb: Uint8Array, au: Float32Array | undefined): Uint8Array {
  const plane = side * side;
  const record = new Uint8Array(recordBytes(side));
  const payload = record.subarray(RECORD_HEADER_BYTES);
  payload.set(rgb);
  if (au) {
    for (let i = 0; i < plane; i++) payload[3 * plane + i] = Math.round(Math.min(1, Math.max(0, au[i]!)) * 255);
  }
  const view = new DataView(record.buffer);
  view.setUint8(0, 1);
  view.setUint8(1, au ? 1 : 0);
  view.setUint16(2, label, true);
  view.setUint32(4, crc32(payload), true);
  return record;
}

/** What a record holds, as the transforms take it (AU map back in [0, 1]); a reason when it is damaged. */
export function decodeRecord(side: number, record: Uint8Array):
  { rgb: Uint8Array; au?: Float32Array; label: number } | string {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const payload = record.subarray(RECORD_HEADER_BYTES);
  if (view.getUint8(0) !== 1) return 'a record that was never prepared';
  if (crc32(payload) !== view.getUint32(4, true)) return 'a damaged record (checksum mismatch)';
  const plane = side * side;
  const rgb = payload.subarray(0, 3 * plane);
  const label = view.getUint16(2, true);
  if ((view.getUint8(1) & 1) === 0) return { rgb, label };
  const au = new Float32Array(plane);
  for (let i = 0; i < plane; i++) au[i] = payload[3 * plane + i]! / 255;
  return { rgb, au, label };
}
