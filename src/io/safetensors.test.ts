import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Tensor } from '../tensor/tensor.js';
import { HeedError } from '../util/errors.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from './safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'heed-safetensors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const f32 = (values: number[], shape: number[]) => new Tensor(Float32Array.from(values), shape);
const f64 = (values: number[], shape: number[]) => new Tensor(Float64Array.from(values), shape);
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** A file from its parts, as the spec describes it: u64 LE header length, header, data. */
function handMade(header: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(ascii(header), 8);
  out.set(data, 8 + header.length);
  return out;
}

function floatBytes(values: number[], width: 4 | 8): Uint8Array {
  const out = new Uint8Array(values.length * width);
  const dv = new DataView(out.buffer);
  values.forEach((x, i) => {
    if (width === 4) dv.setFloat32(i * 4, x, true);
    else dv.setFloat64(i * 8, x, true);
  });
  return out;
}

describe('safetensors', () => {
  it('round trip: F32 and F64, a scalar, an empty tensor, metadata', () => {
    const tensors = new Map([
      ['encoder.weight', f32([1.5, -2, 3.25, 1e-30, 3.4e38, -0], [2, 3])],
      ['scale', f64([Math.PI], [])],
      ['empty', f32([], [0, 4])],
      ['bias', f64([1 / 3, -1e300], [2])],
    ]);
    const path = join(dir, 'round.safetensors');
    saveSafetensors(path, tensors, { format: 'pt', note: 'ünïcode ✓' });
    const back = loadSafetensors(path);
    assert.deepEqual(back.metadata, { format: 'pt', note: 'ünïcode ✓' });
    assert.deepEqual([...back.tensors.keys()].sort(), [...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const got = back.tensors.get(name);
      assert.ok(got, name);
      assert.deepEqual(got.shape, t.shape, name);
      assert.equal(got.dtype, t.dtype, name);
      assert.deepEqual(got.data, t.data, name);
    }
  });

  it("the writer's bytes, parsed independently with DataView against the spec", () => {
    const bytes = encodeSafetensors(
      new Map([
        ['b', f32([0.1, -7], [2])],
        ['a', f32([1, 2, 3], [3, 1])],
        ['z64', f64([2.5], [1])],
      ]),
      { format: 'pt' },
    );
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // 8-byte little-endian header length N, with 8 + N a multiple of 8.
    const n = Number(dv.getBigUint64(0, true));
    assert.equal((8 + n) % 8, 0);
    // The header: compact JSON followed only by spaces (0x20).
    const headerBytes = bytes.subarray(8, 8 + n);
    const text = new TextDecoder().decode(headerBytes);
    const json = text.trimEnd();
    assert.ok(n - json.length < 8);
    for (let i = json.length; i < n; i++) assert.equal(headerBytes[i], 0x20);
    assert.equal(
      json,
      '{"__metadata__":{"format":"pt"},' +
        '"z64":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},' +
        '"a":{"dtype":"F32","shape":[3,1],"data_offsets":[8,20]},' +
        '"b":{"dtype":"F32","shape":[2],"data_offsets":[20,28]}}',
    );
    // The data: F64 first (wider dtype), then F32 by name, raw little-endian, nothing after.
    const data = 8 + n;
    assert.equal(bytes.length, data + 28);
    assert.equal(dv.getFloat64(data, true), 2.5);
    assert.deepEqual(
      [1, 2, 3].map((_, i) => dv.getFloat32(data + 8 + 4 * i, true)),
      [1, 2, 3],
    );
    assert.equal(dv.getFloat32(data + 20, true), Math.fround(0.1));
    assert.equal(dv.getFloat32(data + 24, true), -7);
  });

  it("matches the reference implementation's byte-exact test vectors", () => {
    // huggingface/safetensors tensor.rs tests: test_serialization, test_serialization_forced_alignement, test_empty.
    const values = f32([0, 1, 2, 3, 4, 5], [1, 2, 3]);
    const h1 = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    assert.equal(h1.length, 64); // already aligned: no padding
    assert.deepEqual(
      encodeSafetensors(new Map([['attn.0', values]])),
      handMade(h1, floatBytes([0, 1, 2, 3, 4, 5], 4)),
    );
    const h2 = `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}${' '.repeat(7)}`;
    assert.equal(h2.length, 72);
    assert.deepEqual(
      encodeSafetensors(new Map([['attn0', new Tensor(values.data, [1, 1, 2, 3])]])),
      handMade(h2, floatBytes([0, 1, 2, 3, 4, 5], 4)),
    );
    assert.deepEqual(encodeSafetensors(new Map()), handMade(`{}${' '.repeat(6)}`, new Uint8Array()));
    assert.deepEqual(
      encodeSafetensors(new Map(), { framework: 'pt' }),
      handMade(`{"__metadata__":{"framework":"pt"}}${' '.repeat(5)}`, new Uint8Array()),
    );
  });

  it('reads a file made by hand from the spec (any key order, unpadded header, F64 and F32)', () => {
    const header =
      '{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]},"__metadata__":{"source":"hand"},' +
      ' "s": {"data_offsets": [0, 8], "shape": [], "dtype": "F64"}}';
    const data = new Uint8Array(24);
    data.set(floatBytes([-0.5], 8), 0);
    data.set(floatBytes([1, 2, 3, 4.5], 4), 8);
    const { tensors, metadata } = decodeSafetensors(handMade(header, data), 'hand.safetensors');
    assert.deepEqual(metadata, { source: 'hand' });
    assert.deepEqual([...tensors.keys()], ['s', 'w']); // data order
    assert.deepEqual(tensors.get('s')?.shape, []);
    assert.deepEqual(tensors.get('s')?.data, Float64Array.of(-0.5));
    assert.deepEqual(tensors.get('w')?.shape, [2, 2]);
    assert.deepEqual(tensors.get('w')?.data, Float32Array.of(1, 2, 3, 4.5));
  });

  describe('malformed files: one-line errors naming the file and the problem', () => {
    const entry = (name: string, dtype: string, shape: number[], begin: number, end: number) =>
      `"${name}":{"dtype":"${dtype}","shape":[${shape}],"data_offsets":[${begin},${end}]}`;
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated', Uint8Array.of(1, 2, 3), /truncated: 3 bytes/],
      [
        'header length beyond the file',
        (() => {
          const b = handMade('{}', new Uint8Array());
          new DataView(b.buffer).setBigUint64(0, 1000n, true);
          return b;
        })(),
        /header length 1000 goes beyond the end of the file \(10 bytes\)/,
      ],
      ['bad JSON', handMade('{"a": ', new Uint8Array()), /bad JSON header/],
      ['not an object', handMade('[1, 2]', new Uint8Array()), /the header must be a JSON object/],
      [
        'unknown dtype',
        handMade(`{${entry('x', 'F17', [1], 0, 4)}}`, new Uint8Array(4)),
        /tensor 'x' has unknown dtype 'F17'/,
      ],
      [
        'unsupported dtype',
        handMade(`{${entry('x', 'F16', [2], 0, 4)}}`, new Uint8Array(4)),
        /tensor 'x' has dtype F16, which heed does not read/,
      ],
      [
        'offsets out of range',
        handMade(`{${entry('x', 'F32', [2], 0, 8)}}`, new Uint8Array(4)),
        /tensor 'x' offsets \[0, 8\] are out of range \(the data is 4 bytes\)/,
      ],
      [
        'overlapping',
        handMade(`{${entry('x', 'F32', [2], 0, 8)},${entry('y', 'F32', [2], 4, 12)}}`, new Uint8Array(12)),
        /tensor 'y' offsets \[4, 12\] overlap the previous tensor/,
      ],
      [
        'a gap',
        handMade(`{${entry('x', 'F32', [1], 4, 8)}}`, new Uint8Array(8)),
        /tensor 'x' starts at byte 4, leaving a gap after byte 0/,
      ],
      [
        'size not matching the shape',
        handMade(`{${entry('x', 'F32', [3], 0, 8)}}`, new Uint8Array(8)),
        /tensor 'x' has 8 bytes, its shape \[3\] of F32 needs 12/,
      ],
      [
        'trailing bytes',
        handMade(`{${entry('x', 'F32', [1], 0, 4)}}`, new Uint8Array(6)),
        /tensors cover 4 bytes of data, the file has 6/,
      ],
      [
        'reversed offsets',
        handMade(`{${entry('x', 'F32', [0], 4, 0)}}`, new Uint8Array(4)),
        /data_offsets must be \[begin, end\] with 0 <= begin <= end/,
      ],
    ];
    for (const [what, bytes, message] of cases) {
      it(what, () => {
        const path = join(dir, `${what.replaceAll(' ', '-')}.safetensors`);
        writeFileSync(path, bytes);
        assert.throws(
          () => loadSafetensors(path),
          (e: Error) => {
            assert.ok(e instanceof HeedError, String(e));
            assert.ok(e.message.startsWith(`${path}: `), e.message);
            assert.match(e.message, message);
            assert.ok(!e.message.includes('\n'));
            return true;
          },
        );
      });
    }

    it('a missing file', () => {
      assert.throws(
        () => loadSafetensors(join(dir, 'nope.safetensors')),
        /nope\.safetensors: file not found/,
      );
    });
  });

  it('the file on disk is exactly the encoded bytes', () => {
    const tensors = new Map([['x', f32([1, 2], [2])]]);
    const path = join(dir, 'exact.safetensors');
    saveSafetensors(path, tensors);
    assert.deepEqual(new Uint8Array(readFileSync(path)), encodeSafetensors(tensors));
  });
});
