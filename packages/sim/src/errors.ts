/**
 * The stable error codes of the simulator. Codes are API (the CLI maps them
 * and tests assert them); a published code keeps its meaning and is never
 * reused. Messages are human sentences and never carry a token or a key.
 */
export const SIM_ERROR_CODES = {
  SIM_ARG_INVALID: 'an option of runSimulator (or a `palisade sim` flag) is malformed; the message names it',
  SIM_SERVER_UNREACHABLE: 'the server could not be reached for enrollment',
  SIM_ENROLL_REFUSED: 'the server refused an enrollment (bad, expired or used-up tokens, or a server error)',
  SIM_ROOT_UNTRUSTED: "the server's org root does not verify from the pinned fingerprint",
  SIM_STATE_INVALID: 'the state directory holds agents that do not load or do not verify from the pin',
  SIM_WORKER_FAILED: 'a worker process exited with an error',
} as const

/** A stable, machine-readable reason. */
export type SimErrorCode = keyof typeof SIM_ERROR_CODES

/**
 * The simulator's one error class.
 *
 * @example
 * throw new SimError('SIM_ARG_INVALID', 'agents must be an integer from 1 to 100000')
 */
export class SimError extends Error {
  override readonly name = 'SimError'
  readonly code: SimErrorCode

  constructor(code: SimErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
  }
}

/** True when `e` is a SimError, optionally with the given code. */
export function isSimError(e: unknown, code?: SimErrorCode): e is SimError {
  return e instanceof SimError && (code === undefined || e.code === code)
}
