export { DirectoryArtifactSink } from './artifact-dir.js';
export { writeFileAtomic } from './atomic-write.js';
export {
  CHECKPOINT_FORMAT_VERSION,
  DirectoryCheckpointStore,
  type DirectoryCheckpointStoreOptions,
} from './checkpoint-dir.js';
export { loadRecipeFile } from './recipe-file.js';
export {
  type ReadTensorOptions,
  readSafetensorsFile,
  SafetensorsFileReader,
  writeSafetensorsFile,
} from './safetensors-file.js';
