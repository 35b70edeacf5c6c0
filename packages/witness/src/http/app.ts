/**
 * The witness's HTTP interface (Fastify), and the only place that maps
 * witness codes to HTTP statuses:
 *
 *     POST /add-checkpoint   c2sp.org/tlog-witness; 200 → cosignature line(s)
 *     POST /add-root         { origin, roots: [envelope JSON from v1] } → 200 { origin, version, fingerprint, updated }
 *     GET  /logs             [{ "origin", "size" }] the witnessed logs and their cosigned sizes
 *     GET  /healthz          "ok"
 *     POST /palisade/v1/reports     { origin, deviceId, envelope } → 202 { seq } (report/report-intake.ts)
 *     GET  /palisade/v1/reports?origin=&after=&limit=   → { origin, reports: [{ seq, receivedAt, deviceId, envelope }], next }
 *     GET  /palisade/v1/checkpoint?origin=              → the newest cosigned checkpoint note (text)
 *
 * Guarantees: bodies are read as raw bytes whatever their Content-Type (the
 * spec names none) and at most BODY_LIMIT of them; a request's body can
 * only produce a 2xx or 4xx answer, never a 5xx (a 5xx means a fault of
 * this witness, such as a full disk, and is logged as an error); the 409
 * of a stale old size is exactly `text/x.tlog.size` with "<size>\n".
 * A refusal answer is `<code>: <summary>\n` in text/plain. /add-checkpoint
 * is rate-limited per address (add-checkpoint-limit.ts): 429
 * WIT_RATE_LIMITED with Retry-After, recorded nowhere but the debug log.
 *
 * Trusts: nothing in a request.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify'
import { REFUSAL_STATUS, WITNESS_ERROR_CODES, type RefusalCode } from '../errors.js'
import type { Cosigner } from '../cosigner.js'
import type { ReportIntake } from '../report/report-intake.js'
import { AddCheckpointLimit, type AddCheckpointLimitOptions, type Limited } from './add-checkpoint-limit.js'

/** Largest add-checkpoint body accepted: a checkpoint, a few signatures and 63 proof lines fit many times over. */
export const BODY_LIMIT = 64 * 1024

/** Largest add-root body: a chain of root envelopes. */
export const ADD_ROOT_BODY_LIMIT = 1024 * 1024

/** The Content-Type of the 409 body (tlog-witness). */
export const SIZE_CONTENT_TYPE = 'text/x.tlog.size'

const PLAIN = 'text/plain; charset=utf-8'

/** How the witness logs: a pino-compatible logger, a level for pino on stderr, or false for silence. */
export type LoggerOption = FastifyBaseLogger | { readonly level: string } | false

/**
 * Creates the Fastify instance, without routes (see registerRoutes); its
 * `log` is the witness's logger.
 *
 * @example
 * const app = createApp({ level: 'info' })
 */
export function createApp(logger: LoggerOption | undefined): FastifyInstance {
  const common = {
    bodyLimit: BODY_LIMIT,
    // Fastify disables Node's request timeout: a body trickled in byte by
    // byte must not hold a connection (and a per-origin turn) forever.
    requestTimeout: 30_000,
    return503OnClosing: true,
  }
  if (logger !== undefined && logger !== false && typeof (logger as FastifyBaseLogger).info === 'function') {
    return Fastify({ ...common, loggerInstance: logger as FastifyBaseLogger })
  }
  const level = logger === undefined ? 'info' : logger === false ? undefined : (logger as { level: string }).level
  return Fastify({ ...common, logger: level === undefined ? false : { level, stream: process.stderr } })
}

/**
 * Adds the routes, served by `cosigner` and `reports`.
 *
 * @example
 * registerRoutes(app, cosigner, intake)
 * await app.listen({ host: '127.0.0.1', port: 8081 })
 */
export function registerRoutes(app: FastifyInstance, cosigner: Cosigner, reports: ReportIntake, limits: AddCheckpointLimitOptions = {}): void {
  const limit = new AddCheckpointLimit(limits)
  // One parser for every Content-Type (and none): the raw bytes.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body))

  app.post('/add-checkpoint', async (req, reply) => {
    const body = req.body instanceof Uint8Array ? req.body : new Uint8Array(0)
    const admitted = limit.admit(req.ip, Date.now())
    if (admitted !== undefined) return sendLimited(req.log, reply, admitted)
    // An address out of junk tokens gets a turn only with a log-signed request.
    if (!limit.mayFailUnsigned(req.ip, Date.now()) && !(await cosigner.provesLogSignature(body))) {
      return sendLimited(req.log, reply, limit.unsignedLimited(req.ip))
    }
    const outcome = await cosigner.addCheckpoint(body, { ip: req.ip, log: req.log })
    if (outcome.ok) return reply.code(200).type(PLAIN).send(outcome.cosignature)
    if (!outcome.authenticated) limit.failedUnsigned(req.ip, Date.now())
    return sendRefusal(reply, outcome.code, outcome.storedSize, undefined, outcome.detail)
  })

  app.post('/add-root', { bodyLimit: ADD_ROOT_BODY_LIMIT }, async (req, reply) => {
    const body = req.body instanceof Uint8Array ? req.body : new Uint8Array(0)
    const outcome = await cosigner.addRoot(body, { ip: req.ip, log: req.log })
    if (outcome.ok) {
      const { ok: _ok, ...answer } = outcome
      return reply.code(200).send(answer)
    }
    return reply.code(outcome.status).type(PLAIN).send(`${outcome.code}: ${oneLine(outcome.detail)}\n`)
  })

  app.get('/logs', async () => cosigner.heads())

  app.post('/palisade/v1/reports', async (req, reply) => {
    const body = req.body instanceof Uint8Array ? req.body : new Uint8Array(0)
    const r = await reports.submit(body, { ip: req.ip, log: req.log })
    if (r.ok) return reply.code(202).send({ seq: r.seq })
    if (r.retryAfter !== undefined) void reply.header('retry-after', String(r.retryAfter))
    return reply.code(r.status).type(PLAIN).send(`${r.code}: ${oneLine(r.detail)}\n`)
  })

  app.get('/palisade/v1/reports', async (req, reply) => {
    const r = await reports.list(req.query)
    if (!r.ok) return reply.code(r.status).type(PLAIN).send(`${r.code}: ${oneLine(r.detail)}\n`)
    return reply.code(200).send({ origin: r.origin, reports: r.reports, next: r.next })
  })

  app.get('/palisade/v1/checkpoint', async (req, reply) => {
    const r = await reports.checkpoint(req.query)
    if (!r.ok) return reply.code(r.status).type(PLAIN).send(`${r.code}: ${oneLine(r.detail)}\n`)
    return reply.code(200).type(PLAIN).send(r.note)
  })

  app.get('/healthz', async (_req, reply) => reply.type(PLAIN).send('ok\n'))

  app.setNotFoundHandler(async (_req, reply) => reply.code(404).type(PLAIN).send('not found\n'))

  app.setErrorHandler(async (err, req, reply) => {
    const status = (err as { statusCode?: unknown }).statusCode
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Fastify refused the request before a handler saw it (size, framing).
      const code: RefusalCode = status === 413 ? 'WIT_BODY_TOO_LARGE' : 'WIT_MALFORMED'
      if (req.routeOptions.url === '/add-checkpoint') {
        // No body to check: such a request can only be junk.
        if (!limit.mayFailUnsigned(req.ip, Date.now())) return sendLimited(req.log, reply, limit.unsignedLimited(req.ip))
        limit.failedUnsigned(req.ip, Date.now())
        await cosigner.refuseEarly({ ip: req.ip, log: req.log }, code)
      }
      return sendRefusal(reply, code, undefined, status)
    }
    req.log.error({ err }, 'witness fault')
    return reply.code(500).type(PLAIN).send('internal error\n')
  })
}

function sendLimited(log: FastifyBaseLogger, reply: FastifyReply, limited: Limited): FastifyReply {
  // Not recorded as a refusal nor sent to the webhook: that is the flood this stops.
  log.debug({ retryAfter: limited.retryAfter }, 'add-checkpoint rate-limited')
  return reply.code(429).header('retry-after', String(limited.retryAfter)).type(PLAIN).send(`WIT_RATE_LIMITED: ${oneLine(limited.detail)}\n`)
}

function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 500)
}

function sendRefusal(
  reply: FastifyReply,
  code: RefusalCode,
  storedSize: number | undefined,
  status: number = REFUSAL_STATUS[code],
  detail?: string,
): FastifyReply {
  // "The response body MUST consist of the tree size of the latest cosigned
  // checkpoint in decimal, followed by a newline. The response MUST have a
  // Content-Type of text/x.tlog.size."
  if (code === 'WIT_OLD_SIZE_CONFLICT' && storedSize !== undefined) {
    return reply.code(409).type(SIZE_CONTENT_TYPE).send(`${storedSize}\n`)
  }
  return reply.code(status).type(PLAIN).send(`${code}: ${detail === undefined ? WITNESS_ERROR_CODES[code] : oneLine(detail)}\n`)
}
