/**
 * Typed errors. Every failure a user can cause (bad shapes, bad options,
 * corrupt files, unknown plugins) surfaces as a `KdError` subclass whose
 * message says what was expected, what was found and where, so a caller can
 * branch on `code` and a human can act on `message`.
 */

export interface KdErrorOptions {
  /** Where the problem is: a file, a recipe path, a tensor name, a line. */
  where?: string;
  cause?: unknown;
}

export class KdError extends Error {
  /** Stable machine-readable code, e.g. `KD_SHAPE`. */
  readonly code: string;
  readonly where: string | undefined;

  constructor(code: string, message: string, options: KdErrorOptions = {}) {
    super(
      options.where ? `${options.where}: ${message}` : message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = new.target.name;
    this.code = code;
    this.where = options.where;
  }
}

/** Options, recipes or arguments that fail validation. */
export class ValidationError extends KdError {
  /** One entry per problem; `path` is dotted (`optimizer.options.lr`). */
  readonly issues: readonly { path: string; message: string }[];
  constructor(
    message: string,
    issues: readonly { path: string; message: string }[] = [],
    options: KdErrorOptions = {},
  ) {
    super('KD_VALIDATION', message, options);
    this.issues = issues;
  }
}

/** A tensor or array has the wrong shape or rank. */
export class ShapeError extends KdError {
  constructor(message: string, options: KdErrorOptions = {}) {
    super('KD_SHAPE', message, options);
  }
}

/** A tensor or array has an unsupported dtype. */
export class DTypeError extends KdError {
  constructor(message: string, options: KdErrorOptions = {}) {
    super('KD_DTYPE', message, options);
  }
}

/** NaN or infinite values where finite numbers are required. */
export class NumericError extends KdError {
  constructor(message: string, options: KdErrorOptions = {}) {
    super('KD_NUMERIC', message, options);
  }
}

/** A file is malformed: corrupt safetensors, a bad dataset line, a truncated checkpoint. */
export class FormatError extends KdError {
  constructor(message: string, options: KdErrorOptions = {}) {
    super('KD_FORMAT', message, options);
  }
}

/** A lookup (registry entry, state-dict key, layer name) found nothing. */
export class NotFoundError extends KdError {
  /** The names that do exist, closest first, for "did you mean". */
  readonly available: readonly string[];
  constructor(message: string, available: readonly string[] = [], options: KdErrorOptions = {}) {
    super('KD_NOT_FOUND', message, options);
    this.available = available;
  }
}

/** A different object is already registered under the same kind and id. */
export class RegistryConflictError extends KdError {
  constructor(message: string, options: KdErrorOptions = {}) {
    super('KD_REGISTRY_CONFLICT', message, options);
  }
}

/** A plugin targets a registry API this copy of @kd/core does not implement. */
export class ApiVersionError extends KdError {
  constructor(message: string, options: KdErrorOptions = {}) {
    super('KD_API_VERSION', message, options);
  }
}

/** The requested tensor backend could not be set up. */
export class BackendError extends KdError {
  constructor(message: string, options: KdErrorOptions = {}) {
    super('KD_BACKEND', message, options);
  }
}

/** A checkpoint cannot be written, read or resumed from. */
export class CheckpointError extends KdError {
  constructor(message: string, options: KdErrorOptions = {}) {
    super('KD_CHECKPOINT', message, options);
  }
}

/** Work was stopped on request (Ctrl-C, AbortSignal); state was saved. */
export class AbortedError extends KdError {
  constructor(message = 'stopped on request', options: KdErrorOptions = {}) {
    super('KD_ABORTED', message, options);
  }
}

/** Short, safe description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (Array.isArray(value)) return `array(${value.length})`;
  return typeof value;
}
