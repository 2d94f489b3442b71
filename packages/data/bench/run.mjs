// `pnpm bench` for @kd/data: tokenisation and batching throughput, each timed
// beside a baseline in the same run (see scripts/bench.mjs). Needs `pnpm build`.
await import('./tokenize.mjs');
await import('./batching.mjs');
