export { type BeamOptions, beamSearch, lengthPenalty } from './beam.js';
export { argmax, greedySearch, type SamplingOptions, sampleSearch, sampleToken } from './greedy.js';
export type { Hypothesis, SearchOptions, StepDecoder, StepOutput } from './types.js';
