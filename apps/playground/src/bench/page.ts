// The benchmark page: matmul GFLOP/s at a few sizes and training-step times for
// every backend configuration this browser has, one Web Worker per
// configuration so each starts from a clean engine.
import '../style.css';
import { h, renderIsolationNotice, threadsAvailable } from '../ui/dom.js';
import { formatDuration } from '../ui/format.js';
import type { BackendChoice, BackendReport } from '../worker/protocol.js';
import type { MatmulTiming, StepTiming } from './measure.js';
import type { BenchRequest, FromBenchWorker, StepId } from './protocol.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export interface BenchConfig {
  id: string;
  label: string;
  choice: BackendChoice;
}

export interface BenchRow {
  config: BenchConfig;
  report?: BackendReport;
  matmul: MatmulTiming[];
  steps: StepTiming[];
  error?: string;
  wallMs?: number;
}

export interface BenchState {
  sizes: number[];
  rows: BenchRow[];
  done: boolean;
}

const state: BenchState = { sizes: [], rows: [], done: false };
(globalThis as { kdBench?: BenchState }).kdBench = state;

/** A configuration gets this long before its worker is ended and the row marked as timed out. */
const CONFIG_TIMEOUT_MS = 10 * 60_000;

function configs(): BenchConfig[] {
  const chosen = Number(($('bench-threads') as HTMLInputElement).value);
  const cores =
    Number.isInteger(chosen) && chosen >= 2
      ? chosen
      : Math.max(2, navigator.hardwareConcurrency ?? 1);
  const out: BenchConfig[] = [
    { id: 'wasm-1', label: 'WASM, 1 thread', choice: { backend: 'wasm', threads: 1 } },
  ];
  if (threadsAvailable()) {
    out.push({
      id: 'wasm-threads',
      label: `WASM, ${cores} threads`,
      choice: { backend: 'wasm', threads: cores },
    });
  }
  if ('gpu' in navigator) {
    out.push({ id: 'webgpu', label: 'WebGPU', choice: { backend: 'webgpu', threads: 1 } });
  }
  out.push({ id: 'cpu', label: 'CPU (JavaScript)', choice: { backend: 'cpu', threads: 1 } });
  return out;
}

function runConfig(
  config: BenchConfig,
  request: Omit<BenchRequest, 'backend'>,
  row: BenchRow,
  redraw: () => void,
) {
  return new Promise<void>((resolve) => {
    const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), {
      type: 'module',
      name: `kd-bench-${config.id}`,
    });
    const t0 = performance.now();
    const finish = (error?: string) => {
      clearTimeout(timer);
      worker.terminate();
      if (error) row.error = error;
      row.wallMs = performance.now() - t0;
      redraw();
      resolve();
    };
    const timer = setTimeout(
      () => finish(`timed out after ${formatDuration(CONFIG_TIMEOUT_MS)}`),
      CONFIG_TIMEOUT_MS,
    );
    worker.onmessage = (event: MessageEvent<FromBenchWorker>) => {
      const m = event.data;
      if (m.type === 'backend') row.report = m.report;
      else if (m.type === 'matmul') row.matmul.push(m.timing);
      else if (m.type === 'step') row.steps.push(m.timing);
      else if (m.type === 'done') return finish();
      else if (m.type === 'error') return finish(m.message);
      redraw();
    };
    worker.onerror = (event) => {
      event.preventDefault();
      finish(event.message || 'the worker failed');
    };
    worker.postMessage({ ...request, backend: config.choice } satisfies BenchRequest);
  });
}

function backendDetail(row: BenchRow): string {
  const r = row.report;
  if (!r) return '';
  if (r.webgpu) {
    const a = r.webgpu.adapter;
    const name = [a.vendor, a.architecture, a.description].filter(Boolean).join(' ');
    return `${name}${r.webgpu.software ? ' (software, on the CPU)' : ''}`;
  }
  if (r.info.backend === 'wasm') {
    return `${r.info.threads} kd thread${r.info.threads === 1 ? '' : 's'}${r.tfjsThreads !== undefined ? `, tfjs-wasm ${r.tfjsThreads}` : ''}${r.info.simd ? ', SIMD' : ''}`;
  }
  return r.info.backend;
}

function render(): void {
  const stepIds = [...new Set(state.rows.flatMap((r) => r.steps.map((s) => s.id)))];
  const stepLabels = new Map(
    state.rows.flatMap((r) => r.steps.map((s) => [s.id, s.label] as const)),
  );
  const cell = (row: BenchRow, text: string | undefined, attrs: Record<string, string>) =>
    text !== undefined
      ? h('td', { class: 'num', ...attrs }, text)
      : h(
          'td',
          { class: 'unavailable', ...attrs },
          row.error ? '—' : row.wallMs === undefined ? '…' : '—',
        );
  const matmul = h(
    'table',
    { 'data-table': 'matmul' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'backend'),
        h('th', {}, 'details'),
        ...state.sizes.map((n) => h('th', {}, `n = ${n}`)),
      ),
    ),
    h(
      'tbody',
      {},
      ...state.rows.map((row) =>
        h(
          'tr',
          { 'data-config': row.config.id },
          h('td', {}, row.config.label),
          h('td', {}, row.error ? `unavailable: ${row.error}` : backendDetail(row)),
          ...state.sizes.map((n) => {
            const t = row.matmul.find((m) => m.n === n);
            return cell(row, t?.gflops.toFixed(2), { 'data-n': String(n) });
          }),
        ),
      ),
    ),
  );
  const steps = h(
    'table',
    { 'data-table': 'steps' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'backend'),
        ...stepIds.map((id) => h('th', {}, stepLabels.get(id) ?? id)),
      ),
    ),
    h(
      'tbody',
      {},
      ...state.rows.map((row) =>
        h(
          'tr',
          { 'data-config': row.config.id },
          h('td', {}, row.config.label),
          ...stepIds.map((id) => {
            const t = row.steps.find((s) => s.id === id);
            return cell(row, t ? `${t.ms.toFixed(1)} ms` : undefined, { 'data-step': id });
          }),
        ),
      ),
    ),
  );
  $('bench-results').replaceChildren(
    h('h2', {}, 'Matmul throughput (GFLOP/s, higher is better)'),
    matmul,
    h('h2', {}, 'Training step (median ms, lower is better)'),
    steps,
  );
}

function readSizes(): number[] {
  return ($('sizes') as HTMLInputElement).value
    .split(/[,\s]+/)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

async function start(): Promise<void> {
  const button = $('bench-run') as HTMLButtonElement;
  button.disabled = true;
  const status = $('bench-status');
  status.dataset.state = 'running';
  state.done = false;
  state.sizes = readSizes();
  const repeats = Math.max(1, Number(($('repeats') as HTMLInputElement).value) || 1);
  const count = Math.max(1, Number(($('step-count') as HTMLInputElement).value) || 1);
  const stepIds = [...document.querySelectorAll<HTMLInputElement>('#step-kinds input:checked')].map(
    (i) => i.value as StepId,
  );
  const chosen = new Set(
    [...document.querySelectorAll<HTMLInputElement>('#backends input:checked')].map((i) => i.value),
  );
  const selected = configs().filter((c) => chosen.has(c.id));
  state.rows = selected.map((config) => ({ config, matmul: [], steps: [] }));
  render();
  const t0 = performance.now();
  for (const row of state.rows) {
    status.textContent = `Measuring ${row.config.label}…`;
    await runConfig(
      row.config,
      { sizes: state.sizes, repeats, steps: stepIds.map((id) => ({ id, count })) },
      row,
      render,
    );
  }
  state.done = true;
  status.dataset.state = 'finished';
  status.textContent = `Done in ${formatDuration(performance.now() - t0)}.`;
  button.disabled = false;
}

function init(): void {
  renderIsolationNotice($('isolation'));
  const params = new URLSearchParams(location.search);
  if (params.get('sizes')) ($('sizes') as HTMLInputElement).value = params.get('sizes')!;
  if (params.get('repeats')) ($('repeats') as HTMLInputElement).value = params.get('repeats')!;
  if (params.get('steps')) ($('step-count') as HTMLInputElement).value = params.get('steps')!;
  ($('bench-threads') as HTMLInputElement).value =
    params.get('threads') ?? String(Math.max(2, navigator.hardwareConcurrency ?? 1));
  const kinds = params.get('kinds')?.split(',');
  if (kinds) {
    for (const box of document.querySelectorAll<HTMLInputElement>('#step-kinds input')) {
      box.checked = kinds.includes(box.value);
    }
  }
  const wanted = params.get('backends')?.split(',');
  $('backends').append(
    ...configs().map((c) => {
      const input = h('input', { type: 'checkbox', value: c.id });
      input.checked = wanted ? wanted.includes(c.id) : true;
      return h('label', {}, input, ` ${c.label}`);
    }),
  );
  $('bench-run').addEventListener('click', () => void start());
  document.body.dataset.ready = 'true';
}

init();
