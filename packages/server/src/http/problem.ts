/**
 * RFC 9457 problem details: the one error format of the HTTP API.
 *
 * Every non-2xx response the server sends, whatever produced it (a route, a
 * schema, the JSON parser, the router, an unexpected exception), is a
 * {@link Problem} with content type `application/problem+json`. Clients
 * branch on `code` (stable, see errors.ts and @palisade/protocol errors) and
 * show `detail`; `type` is the same information as a URI, as RFC 9457 §3.1.1
 * asks. `instance` names the request, so an operator can find its log lines.
 */
import type { FastifyReply } from 'fastify'
import type { ProtocolErrorCode } from '@palisade/protocol'
import { SERVER_ERROR_CODES, type FieldError, type ServerErrorCode } from '../errors.js'

/** Media type of every error response (RFC 9457 §6.1). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

/** Field errors beyond this many are dropped: a hostile body must not buy a huge answer. */
export const MAX_FIELD_ERRORS = 32

/** Any code a problem can carry: a server code, or a protocol code passed through. */
export type ProblemCode = ServerErrorCode | ProtocolErrorCode

/**
 * An RFC 9457 problem document.
 *
 * @example
 * { "type": "urn:palisade:problem:SRV_NOT_FOUND", "title": "Not found", "status": 404,
 *   "detail": "no route for GET /v1/nope", "code": "SRV_NOT_FOUND",
 *   "instance": "urn:palisade:request:4f1c…" }
 */
export interface Problem {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail: string
  readonly code: ProblemCode
  readonly instance?: string
  readonly errors?: readonly FieldError[]
}

/**
 * The `type` URI of a code. A URN rather than an https URL: it is a stable
 * identifier, and we promise no documentation host that could go away
 * (RFC 9457 §3.1.1 allows non-resolvable URIs).
 */
export function problemType(code: ProblemCode): string {
  return `urn:palisade:problem:${code}`
}

/** The `instance` URI of a request id. */
export function requestInstance(requestId: string): string {
  return `urn:palisade:request:${requestId}`
}

/**
 * Builds a problem for a server code; status and title come from the code.
 *
 * @example
 * serverProblem('SRV_CONFLICT', 'token already used', { requestId: req.id })
 */
export function serverProblem(
  code: ServerErrorCode,
  detail: string,
  options: { requestId?: string; errors?: readonly FieldError[] | undefined } = {},
): Problem {
  const { status, title } = SERVER_ERROR_CODES[code]
  return makeProblem({ code, status, title, detail, ...options })
}

/** Builds a problem from its parts, capping `errors` at {@link MAX_FIELD_ERRORS}. */
export function makeProblem(p: {
  code: ProblemCode
  status: number
  title: string
  detail: string
  requestId?: string | undefined
  errors?: readonly FieldError[] | undefined
}): Problem {
  return {
    type: problemType(p.code),
    title: p.title,
    status: p.status,
    detail: p.detail,
    code: p.code,
    ...(p.requestId === undefined ? {} : { instance: requestInstance(p.requestId) }),
    ...(p.errors === undefined || p.errors.length === 0
      ? {}
      : { errors: p.errors.slice(0, MAX_FIELD_ERRORS).map((e) => ({ path: e.path, message: e.message })) }),
  }
}

/**
 * Sends a problem. The body is serialised here, to a string, so that a
 * route's response schema never reshapes (or strips) an error body.
 */
export function sendProblem(
  reply: FastifyReply,
  problem: Problem,
  headers: Readonly<Record<string, string>> = {},
): FastifyReply {
  return reply.code(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem))
}
