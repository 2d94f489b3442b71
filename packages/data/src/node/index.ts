export {
  assetPath,
  readAssetSync,
  readDataFile,
  readDataFileText,
  streamDataFile,
} from './files.js';
