import { FormatError } from '../errors.js';

/**
 * Why a file is not valid safetensors, named after the reference reader's
 * `SafeTensorError` variants so that a test (or a user comparing with
 * Python) can match them one to one.
 */
export type SafetensorsErrorReason =
  /** Fewer than 8 bytes: no header length. */
  | 'HeaderTooSmall'
  /** Header length above 100,000,000 bytes. */
  | 'HeaderTooLarge'
  /** 8 + header length is past the end of the file. */
  | 'InvalidHeaderLength'
  /** The header is not valid UTF-8. */
  | 'InvalidHeader'
  /** Not a JSON object of the expected shape (syntax, types, unknown dtype, missing field). */
  | 'InvalidHeaderDeserialization'
  /** Offsets do not tile the data section: a gap, an overlap, end < begin. */
  | 'InvalidOffset'
  /** Shape × dtype size overflows 64 bits. */
  | 'ValidationOverflow'
  /** Byte length from offsets differs from shape × dtype size. */
  | 'TensorInvalidInfo'
  /** A sub-byte dtype whose element count does not fill whole bytes. */
  | 'MisalignedSlice'
  /** The data section is not exactly covered: truncated or trailing bytes. */
  | 'MetadataIncompleteBuffer';

/** A malformed safetensors file; `reason` says which rule it broke. */
export class SafetensorsFormatError extends FormatError {
  readonly reason: SafetensorsErrorReason;
  /** The tensor the problem is in, when it is in one. */
  readonly tensor: string | undefined;

  constructor(
    reason: SafetensorsErrorReason,
    message: string,
    options: { where?: string; tensor?: string; cause?: unknown } = {},
  ) {
    const prefix = options.tensor === undefined ? '' : `tensor ${JSON.stringify(options.tensor)}: `;
    super(`${prefix}${message} (${reason})`, { where: options.where, cause: options.cause });
    this.reason = reason;
    this.tensor = options.tensor;
  }
}
