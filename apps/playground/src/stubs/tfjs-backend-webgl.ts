// @kd/core can start tfjs' WebGL backend, which the playground does not ship
// (WASM and WebGPU cover it). Vite's dev server resolves every import it sees,
// so the name points here: asking for WebGL fails with this message.
throw new Error('the WebGL backend is not bundled in the playground; use wasm or webgpu');
