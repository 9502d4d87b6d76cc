import assert from 'node:assert/strict';
import { it } from 'node:test';
import { randn } from '../../ops/creation.js';
import { describeEachBackend } from '../../testing/backends.js';
import { loadFixture } from '../../testing/fixtures.js';
import { runGolden } from '../../testing/golden.js';
import { manualSeed } from '../../util/random.js';
import { TransformerDecoderLayer } from './decoder-layer.js';
import { TransformerEncoderLayer } from './encoder-layer.js';
import { SinusoidalPositionalEncoding, sinusoidalTable } from './positional.js';
import { TransformerDecoder, TransformerEncoder } from './stacks.js';

function configOf(name: string) {
  const c = loadFixture(name).config;
  return {
    dimFeedforward: Number(c.dim_feedforward),
    dropout: Number(c.dropout),
    activation: c.activation === 'gelu' ? ('gelu' as const) : ('relu' as const),
    normFirst: c.norm_first === true,
    layerNormEps: Number(c.layer_norm_eps),
  };
}

describeEachBackend('Transformer layers match PyTorch', () => {
  for (const name of [
    'transformer_encoder_layer_post',
    'transformer_encoder_layer_pre',
    'transformer_encoder_layer_gelu',
  ]) {
    it(name, () => {
      const layer = new TransformerEncoderLayer(8, 2, configOf(name));
      runGolden(loadFixture(name), layer, ({ inputs, masks }) => ({
        output: layer.forward(inputs.src, { keyPaddingMask: masks.src_key_padding_mask }).output,
      }));
    });
  }
  for (const name of ['transformer_decoder_layer_post', 'transformer_decoder_layer_pre']) {
    it(name, () => {
      const layer = new TransformerDecoderLayer(8, 2, configOf(name));
      runGolden(loadFixture(name), layer, ({ inputs, masks }) => ({
        output: layer.forward(inputs.tgt, inputs.memory, {
          tgtMask: masks.tgt_mask.not(), // PyTorch: true = not allowed
          memoryKeyPaddingMask: masks.memory_key_padding_mask,
        }).output,
      }));
    });
  }
});

describeEachBackend('Transformer stacks and positions', () => {
  it('sinusoidal table follows sin/cos(pos / 10000^(2i/d))', () => {
    const t = sinusoidalTable(3, 4);
    assert.ok(Math.abs(t[1 * 4 + 0] - Math.sin(1)) < 1e-7);
    assert.ok(Math.abs(t[1 * 4 + 1] - Math.cos(1)) < 1e-7);
    assert.ok(Math.abs(t[2 * 4 + 2] - Math.sin(2 / 100)) < 1e-7);
    assert.ok(Math.abs(t[2 * 4 + 3] - Math.cos(2 / 100)) < 1e-7);
    assert.throws(
      () => new SinusoidalPositionalEncoding(4, 3).forward(randn([1, 5, 4])),
      /sequence length 5 exceeds maxLen 3/,
    );
  });

  it('stacks name their layers as PyTorch and run every layer', () => {
    manualSeed(1);
    const enc = new TransformerEncoder(8, { numLayers: 2, nhead: 2, dimFeedforward: 16, dropout: 0 });
    const names = enc.namedParameters().map(([n]) => n);
    assert.ok(names.includes('layers.0.self_attn.in_proj_weight'));
    assert.ok(names.includes('layers.1.norm2.bias'));
    const dec = new TransformerDecoder(8, {
      numLayers: 2,
      nhead: 2,
      dimFeedforward: 16,
      dropout: 0,
      normFirst: true,
    });
    assert.ok(dec.namedParameters().some(([n]) => n === 'norm.weight'));
    const src = randn([2, 5, 8]);
    const tgt = randn([2, 4, 8]);
    const memory = enc.forward(src);
    assert.equal(memory.selfWeights.length, 2);
    const out = dec.forward(tgt, memory.output, { causal: true });
    assert.deepEqual([...out.output.shape], [2, 4, 8]);
    assert.deepEqual([...out.crossWeights[1].shape], [2, 2, 4, 5]);
    // Causal: position 0 puts all its self-attention on itself.
    const w = out.selfWeights[0];
    for (let h = 0; h < 2; h++) assert.ok(Math.abs(w.data[h * 16 + 0] - 1) < 1e-6);
  });
});
