// Messages between the benchmark page and its worker (one worker per backend).
import type { BackendChoice, BackendReport } from '../worker/protocol.js';
import type { MatmulTiming, StepTiming } from './measure.js';

export type StepId = 'cora-gcn' | 'stories260k';

export interface BenchRequest {
  backend: BackendChoice;
  sizes: number[];
  repeats: number;
  /** Training-step benchmarks to run, and how many timed steps each. */
  steps: { id: StepId; count: number }[];
}

export type FromBenchWorker =
  | { type: 'backend'; report: BackendReport }
  | { type: 'matmul'; timing: MatmulTiming }
  | { type: 'step'; timing: StepTiming }
  | { type: 'done' }
  | { type: 'error'; message: string };
