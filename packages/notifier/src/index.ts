export { ResultRecorder, type ResultRecorderOptions } from './result-recorder.js';
