// Messages between the page and its Web Worker. Plain structured-clone data.
import type { WebGPUInfo } from '@kd/backend-webgpu';
import type { BackendInfo, TaskResult } from '@kd/core';
import type { RecipeSpec } from '../recipes/prepare.js';
import type { TrainedAdapter } from '../run.js';

export type BackendName = 'wasm' | 'webgpu' | 'cpu';

export interface BackendChoice {
  backend: BackendName;
  /** Kernel threads for wasm (1 = single-threaded). */
  threads: number;
}

/** What the worker started, for the page's backend panel. */
export interface BackendReport {
  requested: BackendChoice;
  info: BackendInfo;
  webgpu?: WebGPUInfo;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  /** tfjs-wasm's own XNNPACK threads (it caps them at hardwareConcurrency / 2). */
  tfjsThreads?: number;
  /** Why kd's kernels run on fewer threads than asked, when they do. */
  threadNote?: string;
}

export interface RunRequest {
  type: 'run';
  recipe: RecipeSpec;
  backend: BackendChoice;
  /**
   * An Int32Array over shared memory: the page stores 1 to cancel. Tasks train
   * synchronously between progress ticks, so a message would wait for the run
   * to end; the worker reads this flag at every tick instead. Absent where the
   * page is not cross-origin isolated (no SharedArrayBuffer).
   */
  cancelFlag?: Int32Array;
}

export interface CancelRequest {
  type: 'cancel';
}

export type ToWorker = RunRequest | CancelRequest;

export type ProgressInfo = Record<string, number | string>;

export type FromWorker =
  | { type: 'backend'; report: BackendReport }
  | { type: 'stage'; stage: number; name: string; total: number; unit?: string }
  | { type: 'tick'; stage: number; done: number; info?: ProgressInfo }
  | { type: 'stage-done'; stage: number; info?: ProgressInfo }
  | { type: 'log'; message: string }
  | { type: 'result'; result: TaskResult; adapters: TrainedAdapter[]; numTensors: number }
  | { type: 'error'; name: string; message: string; aborted: boolean };
