import type { z } from 'zod';
import {
  ApiVersionError,
  NotFoundError,
  RegistryConflictError,
  ValidationError,
} from './errors.js';
import { isApiCompatible } from './semver.js';
import { didYouMean } from './suggest.js';
import { zodIssues } from './zod-issues.js';

/** The registry API version this copy of @kd/core implements. */
export const API_VERSION = '1.0.0';

export const KINDS = [
  'loss',
  'adapter',
  'optimizer',
  'schedule',
  'transform',
  'layer',
  'model',
  'metric',
  'dataset',
  'tokenizer',
  'kernel',
  'task',
] as const;
export type Kind = (typeof KINDS)[number];

/** What `create` receives besides its validated options. */
export interface CreateContext {
  registry: Registry;
}

/**
 * One thing a plugin provides. `options` validates (and defaults) what a
 * user or recipe passes before `create` ever sees it.
 */
export interface EntryDefinition<Schema extends z.ZodType = z.ZodType, Product = unknown> {
  kind: Kind;
  id: string;
  /** One line for `kd plugins` and the generated docs. */
  description: string;
  options: Schema;
  create(options: z.output<Schema>, ctx: CreateContext): Product;
}

export interface PluginMeta {
  /** npm package name of the plugin. */
  name: string;
  version: string;
  /** The registry API the plugin was written against (semver). */
  apiVersion: string;
}

export interface Plugin {
  meta: PluginMeta;
  // biome-ignore lint/suspicious/noExplicitAny: entries differ in schema and product.
  provides: readonly EntryDefinition<any, any>[];
}

export interface RegisteredEntry extends EntryDefinition {
  /** `kind:id`. */
  key: string;
  plugin: PluginMeta;
}

export interface RegisterOptions {
  /** Replace entries another object already holds under the same key. */
  override?: boolean;
}

/** Identity helpers that give plugin authors type inference. */
export function defineEntry<Schema extends z.ZodType, Product>(
  entry: EntryDefinition<Schema, Product>,
): EntryDefinition<Schema, Product> {
  return entry;
}
export function definePlugin(plugin: Plugin): Plugin {
  return plugin;
}

export function entryKey(kind: Kind, id: string): string {
  return `${kind}:${id}`;
}

/** Splits `optimizer:adamw` (or `adamw` with a default kind). */
export function parseEntryKey(ref: string, defaultKind?: Kind): { kind: Kind; id: string } {
  const colon = ref.indexOf(':');
  const kind = colon >= 0 ? ref.slice(0, colon) : defaultKind;
  const id = colon >= 0 ? ref.slice(colon + 1) : ref;
  if (!kind || !(KINDS as readonly string[]).includes(kind)) {
    throw new ValidationError(
      `expected "<kind>:<id>" with kind one of ${KINDS.join(', ')}, got ${JSON.stringify(ref)}`,
    );
  }
  if (!id) throw new ValidationError(`missing id in ${JSON.stringify(ref)}`);
  return { kind: kind as Kind, id };
}

/**
 * The shared state lives on `globalThis` under a versioned `Symbol.for` key,
 * so two installed copies of @kd/core (a plugin bundling its own, say) see one
 * set of entries. It is plain data, never a class instance, so copies of
 * different minor versions can share it.
 */
interface RegistryState {
  entries: Map<string, RegisteredEntry>;
  plugins: Map<string, Plugin>;
}
const STATE_KEY = Symbol.for('@kd/core/registry@1');

function globalState(): RegistryState {
  const g = globalThis as unknown as Record<symbol, RegistryState | undefined>;
  let state = g[STATE_KEY];
  if (!state) {
    state = { entries: new Map(), plugins: new Map() };
    g[STATE_KEY] = state;
  }
  return state;
}

export class Registry {
  readonly #state: RegistryState;

  constructor(state: RegistryState = globalState()) {
    this.#state = state;
  }

  /** A registry that shares nothing with the global one (for tests and sandboxes). */
  static isolated(): Registry {
    return new Registry({ entries: new Map(), plugins: new Map() });
  }

  register(plugin: Plugin, options: RegisterOptions = {}): void {
    const { meta } = plugin;
    if (!meta || typeof meta.name !== 'string' || !Array.isArray(plugin.provides)) {
      throw new ValidationError(
        'a plugin is { meta: { name, version, apiVersion }, provides: [...] }',
      );
    }
    if (this.#state.plugins.get(meta.name) === plugin) return;
    if (!isApiCompatible(API_VERSION, meta.apiVersion)) {
      throw new ApiVersionError(
        `plugin ${meta.name}@${meta.version} needs registry API ${meta.apiVersion}, ` +
          `but this @kd/core implements API ${API_VERSION}`,
      );
    }
    // Check every entry before touching the state, so a clash registers nothing.
    const incoming: RegisteredEntry[] = [];
    for (const entry of plugin.provides) {
      if (!(KINDS as readonly string[]).includes(entry.kind)) {
        throw new ValidationError(
          `plugin ${meta.name}: entry "${entry.id}" has unknown kind "${entry.kind}"; kinds are ${KINDS.join(', ')}`,
        );
      }
      const key = entryKey(entry.kind, entry.id);
      const existing = this.#state.entries.get(key);
      if (existing && !options.override) {
        if (sameEntry(existing, entry, meta)) continue;
        throw new RegistryConflictError(
          `${key} is already registered by ${existing.plugin.name}@${existing.plugin.version}; ` +
            `${meta.name}@${meta.version} provides a different one. ` +
            'Pass { override: true } to replace it.',
        );
      }
      incoming.push({ ...entry, key, plugin: meta });
    }
    for (const e of incoming) this.#state.entries.set(e.key, e);
    this.#state.plugins.set(meta.name, plugin);
  }

  has(kind: Kind, id: string): boolean {
    return this.#state.entries.has(entryKey(kind, id));
  }

  get(kind: Kind, id: string): RegisteredEntry {
    const entry = this.#state.entries.get(entryKey(kind, id));
    if (entry) return entry;
    const ids = this.list(kind).map((e) => e.id);
    const known =
      ids.length > 0 ? ` Registered ${kind} ids: ${ids.join(', ')}.` : ` No ${kind} is registered.`;
    throw new NotFoundError(`no ${kind} "${id}" is registered.${didYouMean(id, ids)}${known}`, ids);
  }

  /** Validates `options` against the entry's schema; `where` prefixes error paths. */
  parseOptions(kind: Kind, id: string, options: unknown, where?: string): unknown {
    const entry = this.get(kind, id);
    const result = entry.options.safeParse(options ?? {}, { reportInput: true });
    if (result.success) return result.data;
    const issues = zodIssues(result.error, where);
    throw new ValidationError(
      `invalid options for ${entry.key}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
      issues,
    );
  }

  /** Validates options, then builds the entry's product. */
  create<T = unknown>(kind: Kind, id: string, options?: unknown): T {
    const parsed = this.parseOptions(kind, id, options);
    return this.get(kind, id).create(parsed, { registry: this }) as T;
  }

  list(kind?: Kind): RegisteredEntry[] {
    const all = [...this.#state.entries.values()];
    return (kind ? all.filter((e) => e.kind === kind) : all).sort((a, b) =>
      a.key.localeCompare(b.key),
    );
  }

  plugins(): PluginMeta[] {
    return [...this.#state.plugins.values()].map((p) => p.meta);
  }

  /** Removes a plugin and every entry it provided. */
  unregister(pluginName: string): void {
    for (const [key, e] of this.#state.entries) {
      if (e.plugin.name === pluginName) this.#state.entries.delete(key);
    }
    this.#state.plugins.delete(pluginName);
  }
}

/**
 * The same entry object, or the same plugin at the same version providing it
 * again (a package manager installed the plugin twice, so each copy has its
 * own objects): registering it again changes nothing.
 */
function sameEntry(existing: RegisteredEntry, entry: EntryDefinition, meta: PluginMeta): boolean {
  if (existing.create === entry.create && existing.options === entry.options) return true;
  return existing.plugin.name === meta.name && existing.plugin.version === meta.version;
}

/** The process-wide registry. */
export const registry: Registry = new Registry();
