export { writeFileAtomic } from './atomic-write.js';
export { loadRecipeFile } from './recipe-file.js';
export {
  type ReadTensorOptions,
  readSafetensorsFile,
  SafetensorsFileReader,
  writeSafetensorsFile,
} from './safetensors-file.js';
