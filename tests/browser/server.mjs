// A tiny static file server for browser tests: serves directories and in-memory files
// on 127.0.0.1 (a secure context, so WebGPU and SharedArrayBuffer are allowed), with the
// cross-origin isolation headers threaded WASM needs. Dependency-free on purpose: the
// helpers live outside any workspace package and are imported by relative path.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.gz': 'application/gzip',
  '.safetensors': 'application/octet-stream',
};

/** The headers that make a page `crossOriginIsolated` (SharedArrayBuffer, wasm threads). */
export const ISOLATION_HEADERS = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

export function contentType(path) {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Starts a server. `files` maps URL paths to in-memory bodies (string or bytes);
 * `dirs` maps URL prefixes (ending in '/') to directories on disk. A request for a
 * directory path serves its index.html. Paths that escape a mapped directory get 404.
 */
export async function startStaticServer(options = {}) {
  const { files = {}, dirs = {}, isolated = true, host = '127.0.0.1', port = 0 } = options;
  const memory = new Map(Object.entries(files));
  const mounts = Object.entries(dirs)
    .map(([prefix, dir]) => [prefix.endsWith('/') ? prefix : `${prefix}/`, resolve(dir)])
    .sort((a, b) => b[0].length - a[0].length);
  const requests = [];

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path = decodeURIComponent(url.pathname);
    if (path.endsWith('/')) path += 'index.html';
    requests.push(path);
    const headers = { 'Cache-Control': 'no-store', ...(isolated ? ISOLATION_HEADERS : {}) };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers).end();
      return;
    }
    if (memory.has(path)) {
      const body = memory.get(path);
      const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
      res.writeHead(200, {
        ...headers,
        'Content-Type': contentType(path),
        'Content-Length': bytes.length,
      });
      res.end(req.method === 'HEAD' ? undefined : bytes);
      return;
    }
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (file !== dir && !file.startsWith(dir + sep)) break;
      try {
        const info = await stat(file);
        if (!info.isFile()) break;
        res.writeHead(200, {
          ...headers,
          'Content-Type': contentType(file),
          'Content-Length': info.size,
        });
        if (req.method === 'HEAD') res.end();
        else createReadStream(file).pipe(res);
        return;
      } catch {
        break;
      }
    }
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
  });

  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const address = server.address();
  const origin = `http://${host}:${address.port}`;
  return {
    origin,
    url: (path = '/') => new URL(path, origin).href,
    port: address.port,
    /** Paths requested so far, in order (to assert what a page loaded). */
    requests,
    /** Replaces or adds an in-memory file. */
    setFile: (path, body) => memory.set(path, body),
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok());
      }),
  };
}
