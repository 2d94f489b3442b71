// Types for the dependency-free browser-test helpers (index.mjs).

export declare const BASE_FLAGS: readonly string[];
export declare const WEBGPU_FLAGS: readonly string[];
export declare const WEBGPU_SYNC_READ_FLAGS: readonly string[];
export declare const ISOLATION_HEADERS: Readonly<Record<string, string>>;

export declare function chromiumPath(): string | undefined;
export declare function contentType(path: string): string;

/** The parts of playwright-core's `chromium` these helpers call. */
export interface BrowserTypeLike<Context> {
  launchPersistentContext(userDataDir: string, options: Record<string, unknown>): Promise<Context>;
}

/** The parts of a playwright BrowserContext the types rely on (the page type). */
export interface ContextLike {
  pages(): unknown[];
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Default: $KD_CHROMIUM, then /usr/bin/chromium. */
  executablePath?: string;
  /** Adds --enable-unsafe-webgpu (SwiftShader where there is no GPU). */
  webgpu?: boolean;
  /**
   * With `webgpu`: also run ANGLE on SwiftShader so tfjs' synchronous reads of
   * WebGPU data (dataSync) work; without it they return zeros on SwiftShader.
   */
  webgpuSyncReads?: boolean;
  /** Reports this many cores to the page and its workers (CDP override). */
  hardwareConcurrency?: number;
  /** More Chromium flags. */
  args?: string[];
  headless?: boolean;
  viewport?: { width: number; height: number };
  /** Launch timeout in ms (default 60 000). */
  timeout?: number;
}

export interface LaunchedChromium<Context, Page> {
  context: Context;
  page: Page;
  /** Console lines and uncaught page errors, in order. */
  logs: string[];
  profileDir: string;
  executablePath: string;
  args: string[];
  /** Closes the browser and removes the profile directory. */
  close(): Promise<void>;
}

/** The page type of a playwright BrowserContext type. */
export type PageOf<Context> = Context extends { pages(): (infer P)[] } ? P : never;

export declare function launchChromium<Context extends ContextLike>(
  chromium: BrowserTypeLike<Context>,
  options?: LaunchOptions,
): Promise<LaunchedChromium<Context, PageOf<Context>>>;

export interface StaticServerOptions {
  /** URL path → body, e.g. { '/index.html': html, '/app.js': bundle }. */
  files?: Record<string, string | Uint8Array>;
  /** URL prefix → directory, e.g. { '/wasm/': dirname(require.resolve(...)) }. */
  dirs?: Record<string, string>;
  /** Send COOP/COEP/CORP so the page is crossOriginIsolated (default true). */
  isolated?: boolean;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

export interface StaticServer {
  origin: string;
  url(path?: string): string;
  port: number;
  requests: string[];
  setFile(path: string, body: string | Uint8Array): void;
  close(): Promise<void>;
}

export declare function startStaticServer(options?: StaticServerOptions): Promise<StaticServer>;
