// @kd/lora/tasks: the LoRA experiments as `task` registry entries. They use
// @kd/data (datasets, tokenizers) and @kd/eval (metrics), optional peer
// dependencies of @kd/lora needed only here. QQP is non-commercial: the QQP
// task names `dataset:glue-qqp` by id (registered by @kd/datasets-nc) and
// never bundles the data.
import { definePlugin } from '@kd/core';
import { adapterEntries } from '../plugin.js';
import { VERSION } from '../version.js';
import { generativeOptions, generativeTask } from './generative.js';
import { qqpOptions, qqpTask } from './qqp.js';
import { qqpBaseOptions, qqpBaseTask } from './qqp-base-task.js';

export { CompactVocab } from './qqp-data.js';
export { generativeOptions, generativeTask, qqpBaseOptions, qqpBaseTask, qqpOptions, qqpTask };

/** `task:lora-qqp`, `task:lora-qqp-base`, `task:lora-generative` (and the adapter entries they name). */
export const tasksPlugin = definePlugin({
  meta: { name: '@kd/lora/tasks', version: VERSION, apiVersion: '1.0.0' },
  provides: [...adapterEntries, qqpTask, qqpBaseTask, generativeTask],
});
