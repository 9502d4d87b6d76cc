export { type CellConfig, GRUCell, LSTMCell, RNNCell, type RNNCellConfig } from './cells.js';
export { fusedRnnSteps, runGruStep, runLstmStep, runRnnStep, setFusedRnnSteps } from './fused.js';
export {
  type CellKind,
  type DirectionWeights,
  gateCount,
  type RecurrentInputs,
  type RecurrentOutputs,
  type RecurrentSpec,
  runRecurrent,
} from './recurrent.js';
export {
  GRU,
  LSTM,
  type LSTMResult,
  type RecurrentConfig,
  type RecurrentOptions,
  type RecurrentResult,
  RNN,
  type RNNConfig,
  recurrentDefaults,
} from './rnn.js';
export { splitShared, unbind } from './split.js';
export {
  gruStep,
  type LstmState,
  lstmStep,
  type Nonlinearity,
  recurrenceComposed,
  rnnStep,
} from './steps.js';
