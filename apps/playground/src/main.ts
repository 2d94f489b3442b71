// The recipes page: pick a bundled recipe, a backend and thread count, run it
// in a Web Worker, watch the loss, read the tables, download what it trained.
import './style.css';
import type { ResultTable, TaskResult } from '@kd/core';
import { findRecipe, type PlaygroundRecipe, RECIPES } from './recipes/catalogue.js';
import { parseOverrides } from './recipes/prepare.js';
import { recipeText } from './recipes/sources.js';
import type { TrainedAdapter } from './run.js';
import { LiveChart, renderPlot } from './ui/chart.js';
import { h, renderIsolationNotice, threadOptions } from './ui/dom.js';
import { formatCell, formatDuration } from './ui/format.js';
import { RecipeRun } from './worker/client.js';
import type { BackendName, BackendReport, FromWorker } from './worker/protocol.js';
import { zip } from './zip.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** What the page last ran, for people poking at the console and for the tests. */
export interface PlaygroundState {
  recipe?: string;
  backend?: BackendReport;
  result?: TaskResult;
  adapters: TrainedAdapter[];
  /** Live loss points received, by stage name. */
  live: Record<string, { step: number; loss: number }[]>;
  end?: 'finished' | 'failed' | 'cancelled';
  error?: string;
}
const state: PlaygroundState = { adapters: [], live: {} };
(globalThis as { kdPlayground?: PlaygroundState }).kdPlayground = state;

const params = new URLSearchParams(location.search);
let selected: PlaygroundRecipe = findRecipe(params.get('recipe') ?? '') ?? RECIPES[0];
let current: RecipeRun | undefined;
const urls: string[] = [];

function setStatus(state: string, text: string): void {
  const status = $('status');
  status.dataset.state = state;
  status.textContent = text;
}

function renderRecipes(): void {
  const host = $('recipes');
  host.replaceChildren(
    ...RECIPES.map((r) => {
      const input = h('input', { type: 'radio', name: 'recipe', value: r.id });
      input.checked = r.id === selected.id;
      input.addEventListener('change', () => selectRecipe(r));
      return h('label', { class: 'recipe', 'data-recipe': r.id }, input, h('span', {}, r.title));
    }),
  );
}

function selectRecipe(recipe: PlaygroundRecipe): void {
  selected = recipe;
  $('recipe-summary').textContent = `${recipe.summary} (${recipe.file}, quick profile)`;
  ($('overrides') as HTMLTextAreaElement).value = recipe.suggested ?? '';
}

function backendPanel(report: BackendReport): void {
  const { info, webgpu } = report;
  const provider = info.providers['wasm-simd'];
  const rows: [string, string][] = [['backend', info.backend]];
  if (info.backend === 'wasm') {
    rows.push(['SIMD', info.simd ? 'yes' : 'no']);
    rows.push(['kd kernel threads', String(info.threads)]);
    if (report.tfjsThreads !== undefined)
      rows.push(['tfjs-wasm threads', String(report.tfjsThreads)]);
    if (provider?.zeroCopy !== undefined) rows.push(['zero-copy', String(provider.zeroCopy)]);
  }
  if (webgpu) {
    const a = webgpu.adapter;
    rows.push([
      'adapter',
      [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' '),
    ]);
    rows.push(['feature level', webgpu.featureLevel]);
    if (webgpu.software)
      rows.push(['note', 'software adapter (emulated on the CPU): slow, for checking only']);
  }
  rows.push(['cross-origin isolated', report.crossOriginIsolated ? 'yes' : 'no']);
  rows.push(['cores reported (worker)', String(report.hardwareConcurrency)]);
  rows.push(['tfjs', info.tfjsVersion]);
  if (report.threadNote) rows.push(['threads', report.threadNote]);
  const dl = $('backend-info');
  dl.replaceChildren(...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-key': k }, v)]));
  dl.hidden = false;
}

interface StageView {
  name: string;
  total: number;
  unit: string;
  started: number;
  row: HTMLElement;
  bar: HTMLProgressElement;
  text: HTMLElement;
}

function renderTable(table: ResultTable): HTMLElement {
  const head = h('tr', {}, ...table.columns.map((c) => h('th', { scope: 'col' }, c.label)));
  const body = table.rows.map((row) =>
    h(
      'tr',
      {},
      ...table.columns.map((c) =>
        h(
          'td',
          { 'data-col': c.key, class: c.format === 'text' ? 'text' : 'num' },
          formatCell(row[c.key] ?? null, c.format, c.digits),
        ),
      ),
    ),
  );
  const notes = (table.notes ?? []).map((n) => h('p', { class: 'note' }, n));
  return h(
    'section',
    { class: 'result-table', 'data-table': table.id },
    h('h3', {}, table.title),
    h('table', {}, h('thead', {}, head), h('tbody', {}, ...body)),
    ...notes,
  );
}

function renderResult(result: TaskResult): void {
  const summary = h(
    'table',
    { class: 'summary-table', 'data-table': 'summary' },
    h('thead', {}, h('tr', {}, h('th', {}, 'metric'), h('th', {}, 'value'))),
    h(
      'tbody',
      {},
      ...Object.entries(result.summary).map(([k, v]) =>
        h(
          'tr',
          {},
          h('td', { class: 'text' }, k),
          h('td', { class: 'num', 'data-summary': k }, formatCell(v, 'float', 4)),
        ),
      ),
    ),
  );
  const plots = result.plots.map((p) => {
    const host = h('div', { class: 'result-plot' });
    renderPlot(host, p);
    return host;
  });
  const notes = (result.notes ?? []).map((n) => h('li', {}, n));
  $('results').replaceChildren(
    h('h2', {}, result.title),
    summary,
    ...result.tables.map(renderTable),
    ...plots,
    notes.length ? h('ul', { class: 'notes' }, ...notes) : '',
  );
}

function download(name: string, data: Uint8Array | string, type: string): HTMLAnchorElement {
  const blob = new Blob([data as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  urls.push(url);
  return h('a', { href: url, download: name, 'data-download': name }, name) as HTMLAnchorElement;
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function renderDownloads(result: TaskResult, adapters: TrainedAdapter[]): void {
  const items: HTMLElement[] = [
    h(
      'li',
      {},
      download(
        `${slug(result.task)}-results.json`,
        JSON.stringify(result, null, 2),
        'application/json',
      ),
    ),
  ];
  for (const a of adapters) {
    const dir = `${slug(a.label)}-adapter`;
    const archive = zip([
      { name: `${dir}/adapter_config.json`, data: a.files['adapter_config.json'] },
      { name: `${dir}/adapter_model.safetensors`, data: a.files['adapter_model.safetensors'] },
    ]);
    items.push(
      h(
        'li',
        { class: 'adapter', 'data-adapter': a.label },
        `${a.label} (adapter:${a.entry}, PEFT layout): `,
        download(`${dir}.zip`, archive, 'application/zip'),
        ' or ',
        download('adapter_config.json', a.files['adapter_config.json'], 'application/json'),
        ' + ',
        download(
          'adapter_model.safetensors',
          a.files['adapter_model.safetensors'],
          'application/octet-stream',
        ),
      ),
    );
  }
  $('downloads').replaceChildren(h('h3', {}, 'Downloads'), h('ul', {}, ...items));
}

function reset(): void {
  for (const url of urls.splice(0)) URL.revokeObjectURL(url);
  state.result = undefined;
  state.adapters = [];
  state.live = {};
  state.end = undefined;
  state.error = undefined;
  state.backend = undefined;
  $('stages').replaceChildren();
  $('results').replaceChildren();
  $('downloads').replaceChildren();
  $('backend-info').hidden = true;
  const log = $('log');
  log.textContent = '';
  log.hidden = true;
}

function start(): void {
  if (current) return;
  reset();
  let overrides: Record<string, unknown> | undefined;
  try {
    overrides = parseOverrides(($('overrides') as HTMLTextAreaElement).value);
  } catch (error) {
    setStatus('failed', `Overrides: ${(error as Error).message}`);
    return;
  }
  const backend = ($('backend') as HTMLSelectElement).value as BackendName;
  const threads = Number(($('threads') as HTMLSelectElement).value);
  const seed = Number(($('seed') as HTMLInputElement).value);
  const recipe = selected;
  state.recipe = recipe.id;
  const stages: StageView[] = [];
  const chartHost = $('live-chart');
  chartHost.hidden = false;
  const chart = new LiveChart(chartHost, {
    id: 'live-loss',
    title: 'Training loss (live)',
    kind: 'line',
    xLabel: 'step',
    yLabel: 'loss',
  });
  const t0 = performance.now();
  setStatus('running', `Starting ${backend}…`);

  const onMessage = (m: FromWorker) => {
    switch (m.type) {
      case 'backend':
        state.backend = m.report;
        backendPanel(m.report);
        setStatus('running', `Running ${recipe.title} on ${m.report.info.backend}…`);
        break;
      case 'stage': {
        const bar = h('progress', { max: String(m.total), value: '0' }) as HTMLProgressElement;
        const text = h('span', { class: 'stage-text' }, `0/${m.total} ${m.unit ?? ''}`);
        const row = h(
          'div',
          { class: 'stage', 'data-stage': m.name },
          h('span', { class: 'stage-name' }, m.name),
          bar,
          text,
        );
        stages[m.stage] = {
          name: m.name,
          total: m.total,
          unit: m.unit ?? '',
          started: performance.now(),
          row,
          bar,
          text,
        };
        $('stages').append(row);
        break;
      }
      case 'tick': {
        const s = stages[m.stage];
        if (!s) break;
        s.bar.value = m.done;
        const info = Object.entries(m.info ?? {})
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
        s.text.textContent = `${m.done}/${s.total} ${s.unit}${info ? ` · ${info}` : ''}`;
        const loss = Number(m.info?.loss);
        if (Number.isFinite(loss)) {
          (state.live[s.name] ??= []).push({ step: m.done, loss });
          chart.add(s.name, m.done, loss);
        }
        break;
      }
      case 'stage-done': {
        const s = stages[m.stage];
        if (!s) break;
        s.row.classList.add('done');
        s.text.textContent += ` · ${formatDuration(performance.now() - s.started)}`;
        break;
      }
      case 'log': {
        const log = $('log');
        log.hidden = false;
        log.textContent += `${m.message}\n`;
        break;
      }
      case 'result':
        state.result = m.result;
        state.adapters = m.adapters;
        renderResult(m.result);
        renderDownloads(m.result, m.adapters);
        break;
      case 'error':
        state.error = `${m.name}: ${m.message}`;
        break;
    }
  };

  current = new RecipeRun(
    { text: recipeText(recipe), where: recipe.file, overrides, seed },
    { backend, threads },
    onMessage,
  );
  ($('run') as HTMLButtonElement).disabled = true;
  ($('cancel') as HTMLButtonElement).disabled = false;
  void current.done.then((end) => {
    state.end = end;
    current = undefined;
    ($('run') as HTMLButtonElement).disabled = false;
    ($('cancel') as HTMLButtonElement).disabled = true;
    const took = formatDuration(performance.now() - t0);
    if (end === 'finished') setStatus('finished', `Finished in ${took}.`);
    else if (end === 'cancelled')
      setStatus('cancelled', `Cancelled after ${took}${state.error ? ` (${state.error})` : ''}.`);
    else setStatus('failed', `Failed: ${state.error ?? 'unknown error'}`);
  });
}

function init(): void {
  renderIsolationNotice($('isolation'));
  const threads = $('threads') as HTMLSelectElement;
  threads.replaceChildren(...threadOptions());
  const backend = params.get('backend');
  if (backend) ($('backend') as HTMLSelectElement).value = backend;
  if (params.get('threads')) threads.value = params.get('threads')!;
  renderRecipes();
  selectRecipe(selected);
  $('run').addEventListener('click', start);
  $('cancel').addEventListener('click', () => {
    if (!current) return;
    current.cancel();
    setStatus('cancelling', 'Cancelling: the task stops after its current step…');
  });
  document.body.dataset.ready = 'true';
}

init();
