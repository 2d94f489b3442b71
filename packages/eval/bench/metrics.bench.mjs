// pnpm bench: segments/s of corpus BLEU, chrF, ROUGE-L and CER on 100,000 real
// sentence pairs (Tiny Shakespeare with seeded perturbations), kd vs the Python
// reference tools on the same pairs when a Python with them is available
// (KD_BENCH_PYTHON=/path/to/python, default `python3`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cer, corpusBleu, corpusChrf, rouge } from '@kd/eval';
import { report, time } from '../../../scripts/bench.mjs';
import { benchmarkPairs } from './pairs.mjs';

const N = Number(process.env.KD_BENCH_PAIRS ?? 100_000);
const { predictions, references, sentences } = benchmarkPairs(N);

const cases = {
  bleu: () => corpusBleu(predictions, references).score,
  chrf: () => corpusChrf(predictions, references).score,
  rougeL: () => rouge(predictions, references, { rouge_types: ['rougeL'] }).rougeL,
  cer: () => cer(predictions, references).cer,
};

let python = {};
const py = process.env.KD_BENCH_PYTHON ?? 'python3';
const dir = mkdtempSync(join(tmpdir(), 'kd-eval-bench-'));
const file = join(dir, 'pairs.json');
writeFileSync(file, JSON.stringify({ predictions, references }));
const run = spawnSync(py, [new URL('./python_baseline.py', import.meta.url).pathname, file], {
  encoding: 'utf8',
  maxBuffer: 1 << 24,
});
if (run.status === 0) python = JSON.parse(run.stdout);
else
  process.stderr.write(
    `python baseline unavailable (${py}): ${(run.stderr || run.error?.message || '').split('\n').slice(-2).join(' ')}\n`,
  );

// Published single-core figure the issue quotes for sacreBLEU, used when Python is absent.
const QUOTED = { bleu: 'sacrebleu reaches a few thousand segments/s per core' };

const rows = [];
for (const [metric, fn] of Object.entries(cases)) {
  const value = fn();
  const t = await time(fn, { warmup: 1, iters: 3 });
  const kdRate = N / (t.medianMs / 1000);
  const base = python[metric];
  const baseRate = base ? N / base.seconds : undefined;
  rows.push({
    metric,
    pairs: N,
    kd_segments_per_s: Math.round(kdRate),
    kd_ms: Math.round(t.medianMs),
    baseline: base ? base.impl : (QUOTED[metric] ?? 'not measured'),
    baseline_segments_per_s: baseRate ? Math.round(baseRate) : null,
    speedup: baseRate ? Number((kdRate / baseRate).toFixed(1)) : null,
    kd_value: value,
    baseline_value: base ? base.value : null,
    abs_diff: base ? Math.abs(value - base.value) : null,
  });
}
report('eval-metrics', rows, {
  data: `Tiny Shakespeare: ${sentences} sentences, ${N} perturbed pairs`,
  threads: 1,
});
