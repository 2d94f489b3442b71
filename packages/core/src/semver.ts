import { ValidationError } from './errors.js';

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
}

export function parseSemVer(version: string): SemVer {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version.trim());
  if (!m)
    throw new ValidationError(
      `expected a semantic version like "1.2.3", got ${JSON.stringify(version)}`,
    );
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/**
 * Whether a plugin written against `required` runs on a registry that
 * implements `provided`: same major (for 0.x, same minor, as semver's caret
 * does) and provided ≥ required.
 */
export function isApiCompatible(provided: string, required: string): boolean {
  const p = parseSemVer(provided);
  const r = parseSemVer(required);
  if (p.major !== r.major) return false;
  if (p.major === 0 && p.minor !== r.minor) return false;
  if (p.minor !== r.minor) return p.minor > r.minor;
  return p.patch >= r.patch;
}
