import { definePlugin } from '@kd/core';
import { bowSentiment } from './bow-sentiment.js';

/**
 * A plugin is a plain object: who it is, which registry API it was written
 * against, and the entries it provides. `kd run --plugin kd-plugin-example`
 * (or `plugins: [kd-plugin-example]` in a recipe) registers it.
 */
const plugin = definePlugin({
  meta: { name: 'kd-plugin-example', version: '1.0.0', apiVersion: '1.0.0' },
  provides: [bowSentiment],
});

export default plugin;
export { type BagOfWordsResult, tokenize, trainBagOfWords } from './bow-sentiment.js';
export { plugin };
