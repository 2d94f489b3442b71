import { definePlugin } from '@kd/core';
import { classificationTask } from './classification.js';
import { distillTask } from './distill.js';
import { encoderPretrainTask } from './encoder/pretrain.js';
import { generativeTask } from './generative.js';

export {
  type ClassificationOptions,
  classificationOptions,
  classificationTask,
  runClassification,
} from './classification.js';
export { type DistillOptions, distillOptions, distillTask, runDistill } from './distill.js';
export { type EncoderAssets, loadEncoderAssets } from './encoder/assets.js';
export { encoderPretrainTask, pretrainEncoder } from './encoder/pretrain.js';
export { pruneWordPieceVocab } from './encoder/vocab.js';
export {
  type GenerativeOptions,
  generativeOptions,
  generativeTask,
  runGenerative,
} from './generative.js';

/**
 * The tasks of @kd/losses' recipes: `distill` (any teacher, student and
 * losses), the experiment `kd-generative` and `kd-classification`, and
 * `kd-encoder-pretrain` (the encoder teacher). `registry.register(tasksPlugin)`.
 */
export const tasksPlugin = definePlugin({
  meta: { name: '@kd/losses/tasks', version: '0.1.0', apiVersion: '1.0.0' },
  provides: [distillTask, generativeTask, classificationTask, encoderPretrainTask],
});
