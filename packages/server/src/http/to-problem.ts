/**
 * Translates anything a request can throw into a {@link Problem}: the one
 * place where foreign exceptions (Fastify's, Ajv's, the protocol's) cross
 * into the HTTP contract.
 *
 * Trust rule: only messages we know to be safe reach the client. Those are
 * ServerError 4xx messages (written for callers), ProtocolError messages
 * (the trust core writes them for callers, without secrets) and Fastify's
 * own 4xx messages (they describe the caller's own request). Everything
 * else is replaced by its code's generic title and logged.
 */
import { isProtocolError, PROTOCOL_ERROR_CODES } from '@palisade/protocol'
import { SERVER_ERROR_CODES, ServerError, type FieldError, type ServerErrorCode } from '../errors.js'
import { makeProblem, MAX_FIELD_ERRORS, serverProblem, type Problem } from './problem.js'
import { protocolErrorStatus } from './protocol-status.js'
import { validationFieldErrors, type AjvLikeError } from './validation-errors.js'

/** What the error handler needs to answer and to log. */
export interface ProblemOutcome {
  readonly problem: Problem
  readonly headers: Readonly<Record<string, string>>
  /** True when the failure is ours: log it in full, disclose nothing. */
  readonly internal: boolean
}

/** Fastify messages may quote the caller's URL; an echo stays short. */
const MAX_DETAIL_LENGTH = 300

const INTERNAL_DETAIL = 'the server failed to handle this request; quote the instance to the operator'

/** Fastify/Ajv errors, as far as we read them (see fastify/lib/errors.js). */
interface FrameworkError {
  code?: unknown
  statusCode?: unknown
  message?: unknown
  validation?: unknown
  validationContext?: unknown
}

const STATUS_CODES: ReadonlyMap<number, ServerErrorCode> = new Map([
  [400, 'SRV_MALFORMED'],
  [401, 'SRV_UNAUTHENTICATED'],
  [403, 'SRV_FORBIDDEN'],
  [404, 'SRV_NOT_FOUND'],
  [408, 'SRV_REQUEST_TIMEOUT'],
  [409, 'SRV_CONFLICT'],
  [413, 'SRV_PAYLOAD_TOO_LARGE'],
  [415, 'SRV_UNSUPPORTED_MEDIA'],
  [429, 'SRV_RATE_LIMITED'],
  [431, 'SRV_HEADERS_TOO_LARGE'],
  [503, 'SRV_UNAVAILABLE'],
])

/**
 * Maps a thrown value to the problem to send.
 *
 * @example
 * const { problem, headers, internal } = toProblem(err, request.id)
 */
export function toProblem(error: unknown, requestId: string): ProblemOutcome {
  if (error instanceof ServerError) {
    const code: ServerErrorCode = error.code
    const internal = SERVER_ERROR_CODES[code].status >= 500
    // A 5xx message was written for the operator, not the caller.
    const detail = !internal ? error.message : code === 'SRV_INTERNAL' ? INTERNAL_DETAIL : SERVER_ERROR_CODES[code].title
    return outcome(serverProblem(code, detail, { requestId, errors: internal ? undefined : error.errors }), internal, error.headers)
  }
  if (isProtocolError(error)) {
    const status = protocolErrorStatus(error.code)
    if (status === 'internal') return internalOutcome(requestId)
    const title = PROTOCOL_ERROR_CODES[error.code] ?? 'protocol rule violated'
    return outcome(makeProblem({ code: error.code, status, title, detail: error.message, requestId }), false)
  }
  if (typeof error === 'object' && error !== null) {
    const fw = error as FrameworkError
    if (Array.isArray(fw.validation)) {
      const part = typeof fw.validationContext === 'string' ? fw.validationContext : 'body'
      // With allErrors, a 1 MiB body of unknown keys yields ~100k Ajv errors: map only what we send.
      const all = fw.validation as AjvLikeError[]
      const errors = validationFieldErrors(part, all.slice(0, MAX_FIELD_ERRORS))
      return outcome(serverProblem('SRV_VALIDATION', summarise(part, errors, all.length), { requestId, errors }), false)
    }
    const status = typeof fw.statusCode === 'number' ? fw.statusCode : 500
    const code = STATUS_CODES.get(status) ?? (status >= 400 && status < 500 ? 'SRV_MALFORMED' : undefined)
    if (code !== undefined && code !== 'SRV_UNAVAILABLE') {
      // Fastify's own 4xx messages describe the caller's request (e.g. "Body
      // cannot be empty…"); other libraries' messages are not vetted.
      const ours = typeof fw.code === 'string' && fw.code.startsWith('FST_') && typeof fw.message === 'string'
      const detail = ours ? (fw.message as string).slice(0, MAX_DETAIL_LENGTH) : SERVER_ERROR_CODES[code].title
      return outcome(serverProblem(code, detail, { requestId }), false)
    }
    if (code === 'SRV_UNAVAILABLE') return outcome(serverProblem(code, SERVER_ERROR_CODES[code].title, { requestId }), true)
  }
  return internalOutcome(requestId)
}

function internalOutcome(requestId: string): ProblemOutcome {
  return outcome(serverProblem('SRV_INTERNAL', INTERNAL_DETAIL, { requestId }), true)
}

function outcome(problem: Problem, internal: boolean, headers: Readonly<Record<string, string>> = {}): ProblemOutcome {
  return { problem, headers, internal }
}

function summarise(part: string, errors: readonly FieldError[], total: number): string {
  const shown = errors.slice(0, 3).map((e) => `${e.path} ${e.message}`).join('; ')
  const more = total > 3 ? ` (and ${total - 3} more)` : ''
  return `the request ${part} is invalid: ${shown}${more}`
}
