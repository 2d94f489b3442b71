// DOM helpers shared by the two pages.

type Child = Node | string;

/** `h('a', { href }, 'text', child)`: an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** Whether kd's WASM kernels can use threads here (SharedArrayBuffer needs isolation). */
export function threadsAvailable(): boolean {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
}

/**
 * The banner every page shows: threads on (cross-origin isolated), or why not
 * and what runs instead.
 */
export function renderIsolationNotice(host: HTMLElement): void {
  const cores = navigator.hardwareConcurrency ?? 1;
  if (threadsAvailable()) {
    host.className = 'notice ok';
    host.dataset.isolated = 'true';
    host.textContent = `Cross-origin isolated: WASM kernels can use threads (${cores} logical cores reported).`;
  } else {
    host.className = 'notice warn';
    host.dataset.isolated = 'false';
    host.textContent =
      'This page is not cross-origin isolated (it needs the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), so SharedArrayBuffer is unavailable and WASM runs single-threaded. `pnpm dev` and `pnpm preview` send these headers.';
  }
}

/** Thread counts to offer: 1 up to the reported cores (at least 2, at most 8); default all of them. */
export function threadOptions(): HTMLOptionElement[] {
  const cores = Math.max(1, navigator.hardwareConcurrency ?? 1);
  const max = threadsAvailable() ? Math.min(8, Math.max(2, cores)) : 1;
  const out: HTMLOptionElement[] = [];
  for (let n = 1; n <= max; n++) {
    const option = h('option', { value: String(n) }, n === 1 ? '1 (single-threaded)' : String(n));
    option.selected = n === Math.min(max, cores);
    out.push(option);
  }
  return out;
}
