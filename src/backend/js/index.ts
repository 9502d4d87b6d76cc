import type { Backend } from '../backend.js';
import { additiveScoresBackwardJs, additiveScoresJs } from './additive.js';
import { attentionBackwardJs, attentionForwardJs } from './attention.js';
import { copyJs, gatherRowsJs, scatterAddRowsJs } from './copy.js';
import { binaryJs, unaryBackwardJs, unaryJs, whereJs } from './elementwise.js';
import { gemmJs, gemmPackedWeightJs, packedWeightSizeJs, packWeightJs } from './gemm.js';
import { layerNormBackwardJs, layerNormForwardJs } from './layer-norm.js';
import { adamStepJs, normPowJs, sgdStepJs } from './optim.js';
import { reduceJs } from './reduce.js';
import { gruCellBackwardJs, gruCellForwardJs, lstmCellBackwardJs, lstmCellForwardJs } from './rnn-step.js';
import { softmaxBackwardJs, softmaxJs } from './softmax.js';

/** The pure-TypeScript reference backend: no native code, runs in any JavaScript engine. */
export function createJsBackend(): Backend {
  return {
    name: 'js',
    gemm: gemmJs,
    packedWeightSize: packedWeightSizeJs,
    packWeight: packWeightJs,
    gemmPackedWeight: gemmPackedWeightJs,
    binary: binaryJs,
    unary: unaryJs,
    unaryBackward: unaryBackwardJs,
    reduce: reduceJs,
    softmax: softmaxJs,
    softmaxBackward: softmaxBackwardJs,
    copy: copyJs,
    gatherRows: gatherRowsJs,
    scatterAddRows: scatterAddRowsJs,
    where: whereJs,
    fill: (out, value) => {
      out.fill(value);
    },
    lstmCellForward: lstmCellForwardJs,
    lstmCellBackward: lstmCellBackwardJs,
    gruCellForward: gruCellForwardJs,
    gruCellBackward: gruCellBackwardJs,
    additiveScores: additiveScoresJs,
    additiveScoresBackward: additiveScoresBackwardJs,
    layerNormForward: layerNormForwardJs,
    layerNormBackward: layerNormBackwardJs,
    sgdStep: sgdStepJs,
    adamStep: adamStepJs,
    normPow: normPowJs,
    attentionForward: attentionForwardJs,
    attentionBackward: attentionBackwardJs,
  };
}
