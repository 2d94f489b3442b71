// The code each worker runs, kept as source text so the package needs no separate
// worker file to be resolved, served or bundled: Node evaluates it (`eval: true`),
// browsers load it from a Blob URL. All the work happens in the module's workerLoop
// (asm/index-threads.ts); this only instantiates it and turns traps into reported
// errors so the main thread never waits on a dead worker.

const core = `
function kdKernelWorker(init, post, close) {
  var instance;
  try {
    instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  } catch (e) {
    post({ type: 'failed', message: String(e && e.message || e) });
    close();
    return;
  }
  post({ type: 'ready' });
  var ctl = new Int32Array(init.memory.buffer, 0, 64);
  var seen = init.generation;
  for (;;) {
    try {
      seen = instance.exports.workerLoop(init.tid, seen);
      break;
    } catch (e) {
      // The trapped task's generation is still current: the main thread waits for
      // this report before it publishes another.
      seen = Atomics.load(ctl, 16);
      instance.exports.reportError();
      post({ type: 'error', message: String(e && e.message || e) });
    }
  }
  post({ type: 'exit' });
  close();
}
`;

// getBuiltinModule (Node >= 20.16) works whether Node evaluates this as CommonJS or,
// when the parent runs with --input-type=module, as an ES module.
export const NODE_WORKER_SOURCE = `${core}
const { parentPort } = process.getBuiltinModule('node:worker_threads');
parentPort.once('message', (init) => {
  kdKernelWorker(init, (m) => parentPort.postMessage(m), () => parentPort.close());
});
`;

export const WEB_WORKER_SOURCE = `${core}
self.onmessage = function (event) {
  self.onmessage = null;
  kdKernelWorker(event.data, function (m) { self.postMessage(m); }, function () { self.close(); });
};
`;
