/**
 * Wires {@link toProblem} into every path by which Fastify can answer with
 * an error, so that no response escapes the problem format:
 *
 * - route and hook errors, schema validation, body parsing → error handler;
 * - unknown routes → not-found handler;
 * - bad URLs and over-long params, rejected before routing → `frameworkErrors`;
 * - requests arriving while the server closes → our own 503 (Fastify's
 *   built-in `return503OnClosing` answer is not a problem document);
 * - malformed HTTP, header overflow, timeouts → `clientErrorHandler`.
 */
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { PROBLEM_CONTENT_TYPE, sendProblem, serverProblem, type Problem } from './problem.js'
import { toProblem } from './to-problem.js'

/**
 * Answers a thrown error with a problem; 5xx are logged in full with the
 * request id (Fastify binds `reqId` to `request.log`), and nothing about
 * them is sent.
 */
export function problemErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { problem, headers, internal } = toProblem(error, request.id)
  if (internal) request.log.error({ err: error }, 'request failed')
  else request.log.debug({ code: problem.code }, 'request refused')
  return sendProblem(reply, problem, headers)
}

/** Fastify's `frameworkErrors` option: errors raised before a route is found. */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  problemErrorHandler(error, request, reply)
}

/**
 * Installs the error and not-found handlers on the root instance, and the
 * shutdown answer. Call before registering routes: handlers set on the root
 * are inherited by every plugin registered after them.
 */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler(problemErrorHandler)
  app.setNotFoundHandler((request, reply) => {
    // The path only: the query string may carry values the caller should not see echoed in logs.
    const path = request.url.split('?', 1)[0] ?? ''
    sendProblem(reply, serverProblem('SRV_NOT_FOUND', `no route for ${request.method} ${path.slice(0, 200)}`, { requestId: request.id }))
  })
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return
    reply.header('connection', 'close')
    return sendProblem(reply, serverProblem('SRV_UNAVAILABLE', 'the server is shutting down', { requestId: request.id }), {
      'retry-after': '1',
    })
  })
}

/**
 * Fastify's `clientErrorHandler`: the HTTP parser rejected the bytes, so
 * there is no request object; we write a minimal problem on the socket.
 * Mirrors Fastify's default (fastify.js `defaultClientErrorHandler`).
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const problem: Problem =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? serverProblem('SRV_REQUEST_TIMEOUT', 'the request took too long to arrive')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? serverProblem('SRV_HEADERS_TOO_LARGE', 'the request headers are too large')
        : serverProblem('SRV_MALFORMED', 'the request is not valid HTTP')
  const body = JSON.stringify(problem)
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? 'Error'}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy(error)
}
