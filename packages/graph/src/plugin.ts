import { definePlugin } from '@kd/core';
import { layerEntries, modelEntries } from './entries/layers.js';
import { jointExtractionTask } from './tasks/joint-extraction.js';
import { linkPredictionTask } from './tasks/link-prediction.js';
import { nodeClassificationTask } from './tasks/node-classification.js';

/** Everything @kd/graph provides to the registry: `registry.register(plugin)`. */
export const plugin = definePlugin({
  meta: { name: '@kd/graph', version: '0.1.0', apiVersion: '1.0.0' },
  provides: [
    ...layerEntries,
    ...modelEntries,
    nodeClassificationTask,
    linkPredictionTask,
    jointExtractionTask,
  ],
});
