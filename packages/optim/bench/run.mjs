// `pnpm bench` for @kd/optim: each bench script times a baseline and kd in
// the same run (see scripts/bench.mjs). Needs a build first (`pnpm build`).
await import('./update-cost.mjs');
