// Entry of the single-threaded module (plain, non-shared memory).

export { WORK_BYTES } from './gemm';
export { runTask } from './tasks';
