/**
 * Every failure the trust core reports carries one of these stable codes.
 *
 * Codes are API: agents persist them, the server turns them into alerts, and
 * operators search for them. A code, once published, keeps its meaning and is
 * never reused for something else; retired codes stay listed in ERRORS.md.
 * The human message may change; the code may not.
 */
export const PROTOCOL_ERROR_CODES = {
  PROTO_MALFORMED: 'input is not well-formed for the format it claims to be',
  PROTO_TOO_LARGE: 'input exceeds a size or count limit',
  PROTO_NOT_CANONICAL: 'input is not in its one canonical encoding',
  PROTO_JSON_UNSUPPORTED: 'value cannot be canonicalised (RFC 8785 / I-JSON)',
  PROTO_KEY_INVALID: 'a key or key string is malformed',
  PROTO_CRYPTO_UNAVAILABLE: 'no cryptographic backend is configured for this operation',
  PROTO_SIG_INVALID: 'a signature did not verify',
  PROTO_SIG_THRESHOLD: 'fewer distinct trusted keys signed than the threshold requires',
  PROTO_NOTE_UNVERIFIED: 'no known key produced a valid signature on the note',
  PROTO_PROOF_INVALID: 'a Merkle proof is malformed or does not verify',
  PROTO_ROOT_FINGERPRINT: 'the root does not match the pinned fingerprint',
  PROTO_ROOT_ROLLBACK: 'a root version is older than or equal to the trusted one',
  PROTO_ROOT_SKIPPED: 'a root version skips over an intermediate version',
  PROTO_ROOT_EXPIRED: 'the trusted root has expired',
  PROTO_ROOT_SIG: 'a root version lacks the signatures its rotation requires',
  PROTO_ORG_MISMATCH: 'the input belongs to another organisation',
  PROTO_PAYLOAD_TYPE: 'the envelope carries an unexpected payload type',
  PROTO_NOT_TARGETED: 'the command does not target this device',
  PROTO_REPLAY: 'the command already ran on this device',
  PROTO_EXPIRED: 'the command is outside its validity window',
  PROTO_VALIDITY_TOO_LONG: 'the command validity window exceeds what the root allows',
  PROTO_NOT_IN_LOG: 'the command is not included in the log under the checkpoint',
  PROTO_LOG_SIG: 'the checkpoint is not signed by the log key named in the root',
  PROTO_LOG_ORIGIN: 'the checkpoint names another log origin',
  PROTO_WITNESS_QUORUM: 'too few trusted witnesses cosigned the checkpoint',
  PROTO_LOG_INCONSISTENT: 'the checkpoint does not extend the last one this device saw',
  PROTO_LOG_ROLLBACK: 'the checkpoint is older than the last one this device saw',
  PROTO_FROZEN: 'the org root freezes all commands',
  PROTO_ROOT_STALE: 'the cosigned checkpoint names a root newer than (or other than) the one this device trusts: a root update was withheld',
  PROTO_OUT_OF_ORDER: 'the command comes before one this device already ran in the log',
} as const

/** A stable, machine-readable reason. */
export type ProtocolErrorCode = keyof typeof PROTOCOL_ERROR_CODES

/**
 * The one error class of the trust core. `code` is stable; `message` is a
 * human sentence; `details` carries the evidence a caller needs (for
 * example the two checkpoints of a fork), never secrets.
 *
 * @example
 * try { checkpoint.parse(text) } catch (e) {
 *   if (e instanceof ProtocolError && e.code === 'PROTO_MALFORMED') { ... }
 * }
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError'
  readonly code: ProtocolErrorCode
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(
    code: ProtocolErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options.details === undefined ? undefined : Object.freeze({ ...options.details })
  }
}

/** True when `e` is a ProtocolError, optionally with the given code. */
export function isProtocolError(e: unknown, code?: ProtocolErrorCode): e is ProtocolError {
  return e instanceof ProtocolError && (code === undefined || e.code === code)
}

/** Throws a ProtocolError; a helper so guards read as one line. */
export function fail(code: ProtocolErrorCode, message: string, details?: Record<string, unknown>): never {
  throw new ProtocolError(code, message, details === undefined ? {} : { details })
}
