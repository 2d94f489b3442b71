// Every kernel is a task: a job descriptor in memory plus a function that runs
// thread `tid`'s share of it. The main thread and the workers call runTask with the
// same job; the ids are mirrored in src/runtime/tasks.ts.

import { binaryTask, unaryTask } from './elementwise';
import { gatherTask, segmentSumTask, transposeRowsTask } from './gather';
import { gemmTask } from './gemm';
import { reduceTask } from './reduce';

export const TASK_GEMM: i32 = 1;
export const TASK_BINARY: i32 = 2;
export const TASK_UNARY: i32 = 3;
export const TASK_REDUCE: i32 = 4;
export const TASK_GATHER: i32 = 5;
export const TASK_SEGMENT_SUM: i32 = 6;
export const TASK_TRANSPOSE_ROWS: i32 = 7;

/**
 * `_nt` (threads taking part) is part of the calling convention for tasks that split
 * work themselves; none does now (the GEMM's split is in each thread's job).
 */
export function runTask(kind: i32, job: usize, tid: i32, _nt: i32): void {
  switch (kind) {
    case TASK_GEMM:
      gemmTask(job, tid);
      break;
    case TASK_BINARY:
      binaryTask(job);
      break;
    case TASK_UNARY:
      unaryTask(job);
      break;
    case TASK_REDUCE:
      reduceTask(job);
      break;
    case TASK_GATHER:
      gatherTask(job);
      break;
    case TASK_SEGMENT_SUM:
      segmentSumTask(job);
      break;
    case TASK_TRANSPOSE_ROWS:
      transposeRowsTask(job);
      break;
    default:
      unreachable();
  }
}
