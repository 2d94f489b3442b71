// `pnpm bench` for @kd/core: each bench script times a baseline and kd in
// the same run (see scripts/bench.mjs). Needs a build first (`pnpm build`).
await import('./safetensors.mjs');
