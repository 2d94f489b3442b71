export { writeFileAtomic } from './atomic-write.js';
export { loadRecipeFile } from './recipe-file.js';
