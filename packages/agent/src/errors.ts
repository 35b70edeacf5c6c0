/**
 * Every failure the agent's machine-facing code reports carries one of these
 * stable codes.
 *
 * Codes are API: the agent spools them with rejected or failed commands, the
 * server turns them into alerts (G6 — loud failure), and operators search for
 * them. A published code keeps its meaning and is never reused for something
 * else; a retired code stays in this table with its description prefixed by
 * "RETIRED:". The human message may change; the code may not.
 */
export const AGENT_ERROR_CODES = {
  AGENT_FILE_MISSING: 'a file the agent needs does not exist',
  AGENT_FILE_TOO_LARGE: 'a file is larger than the size bound for what it holds',
  AGENT_FILE_READ_FAILED: 'a file exists but could not be read',
  AGENT_FILE_WRITE_FAILED: 'a file could not be written, synced or renamed into place',
  AGENT_JSON_INVALID: 'a file is not valid UTF-8 JSON',
  AGENT_FILE_INVALID: 'a file is valid JSON but its content was rejected',
  AGENT_INTERPRETER_UNKNOWN: 'the interpreter name is not on the agent allowlist',
  AGENT_INTERPRETER_MISSING: 'the interpreter is allowed but not installed on this machine',
  AGENT_RUNAS_FORBIDDEN: 'the agent cannot run a script as the requested user',
  AGENT_RUNAS_UNKNOWN: 'the requested user does not exist in /etc/passwd',
  AGENT_EXEC_INVALID: 'run options are malformed (timeout, cap, env or grace period)',
  AGENT_SPAWN_FAILED: 'the operating system refused to start the interpreter',
  AGENT_POLICY_INVALID: 'the local policy file is malformed',
  AGENT_POLICY_FORBIDS: 'the local policy forbids what the command asks for',
  AGENT_MALFORMED_DELIVERY: 'a delivery from the server is not a well-formed delivery (reported as a signed rejection)',
  AGENT_ARG_INVALID: 'an option given to enroll, runAgent or agentStatus is malformed',
  AGENT_ALREADY_ENROLLED: 'the state directory already holds an enrolled device; enrollment never overwrites one',
  AGENT_NOT_ENROLLED: 'the state directory holds no enrolled device',
  AGENT_STATE_INVALID: 'the enrolled state on disk is inconsistent, fails verification from the pin, or is not private',
  AGENT_SERVER_UNREACHABLE: 'the server could not be reached or did not answer in time',
  AGENT_ENROLL_REFUSED: 'the server refused the enrollment request (bad, expired or used token, or a server error)',
  AGENT_SERVER_RESPONSE_INVALID: 'the server answered with something other than the documented response',
  AGENT_ROOT_UNTRUSTED: "the server's org root does not verify from the pinned fingerprint; nothing was written",
} as const

/** A stable, machine-readable reason. */
export type AgentErrorCode = keyof typeof AGENT_ERROR_CODES

/**
 * The one error class of the agent. `code` is stable; `message` is a human
 * sentence; `details` carries the evidence a caller needs (a file path, the
 * offending fields), never secrets or script contents.
 *
 * @example
 * try { await readJsonFile(path, 65536, parseState) } catch (e) {
 *   if (isAgentError(e, 'AGENT_FILE_MISSING')) return freshState()
 *   throw e
 * }
 */
export class AgentError<C extends AgentErrorCode = AgentErrorCode> extends Error {
  override readonly name = 'AgentError'
  readonly code: C
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(
    code: C,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options.details === undefined ? undefined : Object.freeze({ ...options.details })
  }
}

/**
 * Every concrete AgentError, as a union discriminated by `code`, so that
 * `switch (err.code)` narrows.
 */
export type AnyAgentError = { [C in AgentErrorCode]: AgentError<C> }[AgentErrorCode]

/** True when `e` is an AgentError, optionally with the given code. */
export function isAgentError<C extends AgentErrorCode>(e: unknown, code?: C): e is AgentError<C> {
  return e instanceof AgentError && (code === undefined || e.code === code)
}

/** The `code` of a Node system error (ENOENT, EACCES, …), or undefined. */
export function systemErrorCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e)) return undefined
  return typeof e.code === 'string' ? e.code : undefined
}
