// The server's inference adapter, for the other Node tools of the workspace (the model evaluation).
export { type DecodeOptions, decodeUpright, probeImage, SUPPORTED_FORMATS } from './decode-image.js';
export {
  cpuAccumulatesInt8Exactly,
  int8SaturationWarning,
  type ModelDescription,
  type ModelManifest,
  readModel,
  readModelInt8Weights,
  resolveModelPath,
} from './model-files.js';
export { Predictor, type PredictorOptions } from './predictor.js';
