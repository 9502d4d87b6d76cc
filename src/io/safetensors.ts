import { readFileSync } from 'node:fs';
import type { FloatArray } from '../backend/backend.js';
import { shapeSize, Tensor } from '../tensor/tensor.js';
import { HeedError } from '../util/errors.js';
import { writeFileAtomic } from './atomic.js';

/**
 * The safetensors format (huggingface/safetensors), the way PyTorch and Hugging Face store
 * weights:
 *
 *   [8 bytes]  N, the header length, unsigned 64-bit little-endian
 *   [N bytes]  JSON header: {"__metadata__": {string: string}, name: {"dtype": "F32",
 *              "shape": [..], "data_offsets": [begin, end]}, …}, padded with spaces so that
 *              8 + N is a multiple of 8 (the data then starts 8-byte aligned)
 *   [rest]     the tensors' raw little-endian row-major bytes; offsets are relative to the
 *              start of this region, tensors are contiguous and cover it exactly
 *
 * The writer lays tensors out as the reference implementation does (wider dtypes first, then by
 * name; the header lists `__metadata__` first, then the tensors in data order, in compact JSON),
 * so a file heed writes is byte-identical to one `safetensors.torch.save_file` writes for the
 * same F32 tensors and metadata. heed reads and writes F32 and F64.
 */

/** The dtypes heed reads and writes, with their byte widths. */
const DTYPE_SIZE = { F64: 8, F32: 4 } as const;
export type SafetensorsDtype = keyof typeof DTYPE_SIZE;

/** Every dtype the format defines (to tell "unsupported" from "not a dtype" in errors). */
const KNOWN_DTYPES = new Set([
  'BOOL',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'F64',
  'I64',
  'U64',
]);

/** The reference implementation's limit on the header size. */
const MAX_HEADER = 100_000_000;

/** A file's tensors (in data order) and its free-form string metadata. */
export interface SafetensorsContents {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function dtypeOf(data: FloatArray): SafetensorsDtype {
  return data instanceof Float64Array ? 'F64' : 'F32';
}

/** Serialises tensors (and optional string metadata) into safetensors bytes. */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  // Wider dtypes first (F64 before F32), then by name: the reference implementation's order.
  const entries = [...tensors].sort(([na, a], [nb, b]) => {
    const w = DTYPE_SIZE[dtypeOf(b.data)] - DTYPE_SIZE[dtypeOf(a.data)];
    return w !== 0 ? w : na < nb ? -1 : na > nb ? 1 : 0;
  });
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    const meta: Record<string, string> = {};
    for (const key of Object.keys(metadata).sort()) {
      const value = metadata[key];
      if (typeof value !== 'string') {
        throw new HeedError(`safetensors: metadata '${key}' must be a string, got ${typeof value}`);
      }
      meta[key] = value;
    }
    header.__metadata__ = meta;
  }
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new HeedError(`safetensors: '__metadata__' cannot name a tensor`);
    const bytes = t.data.byteLength;
    header[name] = { dtype: dtypeOf(t.data), shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const [, t] of entries) {
    writeLittleEndian(t.data, out, at);
    at += t.data.byteLength;
  }
  return out;
}

function writeLittleEndian(data: FloatArray, out: Uint8Array, at: number): void {
  if (littleEndian) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + at, data.byteLength);
  if (data instanceof Float64Array)
    for (let i = 0; i < data.length; i++) view.setFloat64(i * 8, data[i], true);
  else for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
}

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses safetensors bytes. `source` (a file name) prefixes every error: a truncated file, a
 * header length beyond the file, a header that is not JSON or not an object, an unknown or
 * unsupported dtype, a bad shape, offsets out of range, overlapping, leaving gaps or not matching
 * the shape are each a one-line HeedError.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsContents {
  function bad(problem: string): never {
    throw new HeedError(`${source}: ${problem}`);
  }
  if (bytes.length < 8) bad(`truncated: ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) bad(`header length ${n64} is too large (limit ${MAX_HEADER} bytes)`);
  const n = Number(n64);
  if (8 + n > bytes.length) bad(`header length ${n} goes beyond the end of the file (${bytes.length} bytes)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return bad('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return bad(`bad JSON header (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isRecord(header)) bad('the header must be a JSON object');

  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(info)) bad('__metadata__ must be an object');
      for (const [k, value] of Object.entries(info)) {
        if (typeof value !== 'string') bad(`__metadata__ '${k}' must be a string`);
        metadata[k] = value;
      }
      continue;
    }
    entries.push(parseEntry(name, info, bad));
  }

  // Tensors must tile the data region exactly, in offset order (as the reference validates).
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  let expected = 0;
  for (const e of entries) {
    if (e.end > dataLength) {
      bad(
        `tensor '${e.name}' offsets [${e.begin}, ${e.end}] are out of range (the data is ${dataLength} bytes)`,
      );
    }
    if (e.begin < expected)
      bad(`tensor '${e.name}' offsets [${e.begin}, ${e.end}] overlap the previous tensor`);
    if (e.begin > expected)
      bad(`tensor '${e.name}' starts at byte ${e.begin}, leaving a gap after byte ${expected}`);
    const want = shapeSize(e.shape) * DTYPE_SIZE[e.dtype];
    if (e.end - e.begin !== want) {
      bad(
        `tensor '${e.name}' has ${e.end - e.begin} bytes, its shape [${e.shape.join(', ')}] of ${e.dtype} needs ${want}`,
      );
    }
    expected = e.end;
  }
  if (expected !== dataLength) {
    bad(`truncated or padded: tensors cover ${expected} bytes of data, the file has ${dataLength}`);
  }

  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const count = (e.end - e.begin) / DTYPE_SIZE[e.dtype];
    const data = e.dtype === 'F64' ? new Float64Array(count) : new Float32Array(count);
    const src = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    if (littleEndian) {
      // Copy through bytes: the source may sit at any alignment within its buffer.
      new Uint8Array(data.buffer).set(src);
    } else {
      const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
      for (let i = 0; i < count; i++) {
        data[i] = e.dtype === 'F64' ? dv.getFloat64(i * 8, true) : dv.getFloat32(i * 4, true);
      }
    }
    tensors.set(e.name, new Tensor(data, e.shape));
  }
  return { tensors, metadata };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseEntry(name: string, info: unknown, bad: (problem: string) => never): HeaderEntry {
  if (!isRecord(info)) return bad(`tensor '${name}' must be described by an object`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== 'string') return bad(`tensor '${name}' has no dtype`);
  if (!(dtype === 'F32' || dtype === 'F64')) {
    return bad(
      KNOWN_DTYPES.has(dtype)
        ? `tensor '${name}' has dtype ${dtype}, which heed does not read (F32 and F64 only)`
        : `tensor '${name}' has unknown dtype '${dtype}'`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return bad(`tensor '${name}' shape must be an array of non-negative integers`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[1] < offsets[0]
  ) {
    return bad(`tensor '${name}' data_offsets must be [begin, end] with 0 <= begin <= end`);
  }
  return { name, dtype, shape, begin: offsets[0], end: offsets[1] };
}

/** Reads a .safetensors file (errors name the file). */
export function loadSafetensors(path: string): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : String(e);
    throw new HeedError(code === 'ENOENT' ? `${path}: file not found` : `${path}: cannot read (${code})`);
  }
  return decodeSafetensors(bytes, path);
}

/** Writes a .safetensors file atomically (a temporary file, fsync, rename). */
export function saveSafetensors(
  path: string,
  tensors: ReadonlyMap<string, Tensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
