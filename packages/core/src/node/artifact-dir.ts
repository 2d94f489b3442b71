import { join, normalize, sep } from 'node:path';
import { ValidationError } from '../errors.js';
import type { ArtifactSink } from '../task.js';
import { writeFileAtomic } from './atomic-write.js';

/** Writes each artefact under `<dir>/<name>/`, every file atomically. */
export class DirectoryArtifactSink implements ArtifactSink {
  readonly #dir: string;
  /** Directories written so far, by artefact name. */
  readonly saved = new Map<string, string>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  async save(name: string, files: Record<string, Uint8Array | string>): Promise<void> {
    const target = join(this.#dir, safeRelative(name, 'artifact name'));
    for (const [path, data] of Object.entries(files)) {
      await writeFileAtomic(join(target, safeRelative(path, `artifact "${name}" file`)), data);
    }
    this.saved.set(name, target);
  }
}

/** A relative path that stays inside its directory. */
function safeRelative(path: string, what: string): string {
  const n = normalize(path);
  if (
    !path ||
    n.startsWith('..') ||
    n.startsWith(sep) ||
    /^[a-zA-Z]:/.test(n) ||
    n.split(sep).includes('..')
  ) {
    throw new ValidationError(
      `${what} must be a relative path inside the output directory, got ${JSON.stringify(path)}`,
    );
  }
  return n;
}
