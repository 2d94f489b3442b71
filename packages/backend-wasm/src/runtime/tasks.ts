/** Task ids understood by the module's runTask (asm/tasks.ts). */
export const TASK_GEMM = 1;
export const TASK_BINARY = 2;
export const TASK_UNARY = 3;
export const TASK_REDUCE = 4;
export const TASK_GATHER = 5;
export const TASK_SEGMENT_SUM = 6;
export const TASK_TRANSPOSE_ROWS = 7;
