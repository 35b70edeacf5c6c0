/**
 * Every refusal and failure of the witness carries one of these stable
 * codes. Codes are API: refusals.jsonl, the webhook and the logs carry them,
 * and operators search for them. A published code keeps its meaning (and,
 * for the add-checkpoint refusals, its HTTP status) and is never reused; a
 * retired code stays here, marked retired. README.md documents each one and
 * a test keeps the two in step.
 *
 * Only http/app.ts maps codes to HTTP statuses (REFUSAL_STATUS below is the
 * table it uses), following c2sp.org/tlog-witness §add-checkpoint.
 */

/** Code → one-line summary. */
export const WITNESS_ERROR_CODES = {
  // add-checkpoint refusals (HTTP)
  WIT_MALFORMED: 'the body is not an old size line, proof lines, a blank line and a signed checkpoint',
  WIT_BODY_TOO_LARGE: 'the request body exceeds the witness limit (64 KiB)',
  WIT_LOG_UNKNOWN: 'the checkpoint origin is not a log this witness witnesses',
  WIT_LOG_SIG: 'no signature on the checkpoint verifies under the log key',
  WIT_OLD_SIZE_TOO_LARGE: 'the old size is larger than the checkpoint size',
  WIT_OLD_SIZE_CONFLICT: 'the old size is not the size of the latest checkpoint the witness cosigned',
  WIT_ROOT_MISMATCH: 'the checkpoint has the size of the latest cosigned one but another root hash (a fork)',
  WIT_PROOF_INVALID: 'the consistency proof does not prove the checkpoint extends the latest cosigned one',
  WIT_ROOT_LINE: 'the checkpoint of a log with a pinned org root lacks exactly one well-formed palisade-root line',
  WIT_ROOT_STALE: 'the checkpoint root line names an older org root than the newest this witness verified (a withheld rotation)',
  WIT_ROOT_UNKNOWN: 'the checkpoint root line names an org root this witness has not verified (admins present it with POST /add-root first)',
  // add-root refusals (HTTP)
  WIT_ROOT_INVALID: 'the root chain presented to /add-root does not verify from the pinned root',
  WIT_ROOT_NOT_PINNED: 'the log was registered without a root fingerprint, so the witness does not track its org root',
  // evidence routes (HTTP): device reports, reports and checkpoints for monitors
  WIT_REPORT_INVALID: 'a report body is not { origin, deviceId, envelope } with a rejection or alert envelope of that device',
  WIT_RATE_LIMITED: 'too many reports from this address, for this device, or for too many device ids from this address; retry later',
  WIT_REPORT_STORE_FULL: 'the reports of this log reached their byte budget: new reports are refused until the operator prunes',
  WIT_QUERY_INVALID: 'a query parameter is missing or invalid (origin, after, limit)',
  WIT_NO_CHECKPOINT: 'the witness has not cosigned any checkpoint of the log yet',
  // operation
  WIT_CONFIG: 'an option of the witness or an argument of an admin command is invalid (listen address, webhook URL, data directory, limits, prune range)',
  WIT_NAME_INVALID: 'the witness name is not a valid note key name (no spaces, no "+")',
  WIT_NAME_MISMATCH: 'the data directory holds a key made for another witness name',
  WIT_KEY_INVALID: 'a log key is not an Ed25519 note verifier key (<origin>+<hex8>+<base64>)',
  WIT_LOG_EXISTS: 'the log origin is already registered with another key',
  WIT_DATA_INVALID: 'a file in the data directory is malformed',
  WIT_DATA_INSECURE: 'the witness key file can be read by other users',
  WIT_DATA_LOCKED: 'another witness process is using the data directory',
  WIT_IO: 'a file in the data directory could not be read or written',
  WIT_LISTEN: 'the witness could not listen on the address',
} as const

/** A stable, machine-readable reason. */
export type WitnessErrorCode = keyof typeof WITNESS_ERROR_CODES

/** The codes add-checkpoint answers with, and their HTTP status (c2sp.org/tlog-witness). */
export const REFUSAL_STATUS = {
  WIT_MALFORMED: 400,
  WIT_BODY_TOO_LARGE: 413,
  WIT_LOG_UNKNOWN: 404,
  WIT_LOG_SIG: 403,
  WIT_OLD_SIZE_TOO_LARGE: 400,
  WIT_OLD_SIZE_CONFLICT: 409,
  WIT_ROOT_MISMATCH: 409,
  WIT_PROOF_INVALID: 422,
  WIT_ROOT_LINE: 400,
  WIT_ROOT_STALE: 409,
  WIT_ROOT_UNKNOWN: 409,
} as const satisfies Partial<Record<WitnessErrorCode, number>>

/** A code add-checkpoint refuses with. */
export type RefusalCode = keyof typeof REFUSAL_STATUS

/**
 * The one error class of the witness. `details` is evidence for the caller
 * (paths, sizes), never key material.
 *
 * @example
 * throw new WitnessError('WIT_KEY_INVALID', 'log key has the wrong key hash')
 */
export class WitnessError extends Error {
  override readonly name = 'WitnessError'
  readonly code: WitnessErrorCode
  readonly details: Readonly<Record<string, string | number>> | undefined

  constructor(
    code: WitnessErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, string | number> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options.details === undefined ? undefined : Object.freeze({ ...options.details })
  }
}

/** True when `e` is a WitnessError, optionally with the given code. */
export function isWitnessError(e: unknown, code?: WitnessErrorCode): e is WitnessError {
  return e instanceof WitnessError && (code === undefined || e.code === code)
}

/** The system error code (ENOENT, EACCES, …) of a failed fs call, if any. */
export function systemErrorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** Wraps a failed fs call as WIT_IO naming the path and the system code. */
export function ioError(action: string, path: string, cause: unknown): WitnessError {
  const sys = systemErrorCode(cause)
  return new WitnessError('WIT_IO', `cannot ${action} ${path}${sys === undefined ? '' : ` (${sys})`}`, {
    cause,
    details: { path },
  })
}
