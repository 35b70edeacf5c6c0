/**
 * The error of a publish that did not gather its witness quorum, and the
 * error handler that tells the caller which witnesses failed and why.
 *
 * A 5xx ServerError's message is normally only logged (http/to-problem.ts).
 * This one is written for the caller: it names the org's own witnesses
 * (which its admins configured) and reasons composed by the witness client
 * (never text from the witness), so a route may send it. Install
 * {@link witnessQuorumErrorHandler} in a route plugin that publishes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ServerError } from '../errors.js'
import { problemErrorHandler } from '../http/problem-handlers.js'
import { sendProblem, serverProblem } from '../http/problem.js'

/** One witness that did not cosign, and why. */
export interface WitnessFailure {
  /** The witness key's name (from its verifier key). */
  readonly witness: string
  readonly url: string
  readonly reason: string
}

/** Seconds a client should wait before publishing again. */
export const QUORUM_RETRY_AFTER_SECONDS = 10

/**
 * SRV_UNAVAILABLE: fewer than the root's `witnesses.quorum` distinct
 * witnesses cosigned the checkpoint of `size`. Nothing was published.
 *
 * @example
 * if (err instanceof WitnessQuorumError) for (const f of err.failures) console.log(f.witness, f.reason)
 */
export class WitnessQuorumError extends ServerError<'SRV_UNAVAILABLE'> {
  readonly size: number
  readonly quorum: number
  readonly cosigned: number
  readonly failures: readonly WitnessFailure[]

  constructor(size: number, quorum: number, cosigned: number, failures: readonly WitnessFailure[]) {
    const list = failures.map((f) => `${f.witness} (${f.url || 'no URL'}): ${f.reason}`).join('; ')
    super('SRV_UNAVAILABLE', `${cosigned} of the required ${quorum} witnesses cosigned checkpoint ${size}; ${list}`, {
      headers: { 'retry-after': String(QUORUM_RETRY_AFTER_SECONDS) },
    })
    this.size = size
    this.quorum = quorum
    this.cosigned = cosigned
    this.failures = Object.freeze(failures.map((f) => Object.freeze({ ...f })))
  }
}

/**
 * A Fastify error handler: a WitnessQuorumError becomes a 503 problem
 * whose `detail` and `errors` name each failed witness; anything else goes
 * to the standard handler.
 *
 * @example
 * export const myRoutes: RoutePlugin = async (app, ctx) => {
 *   app.setErrorHandler(witnessQuorumErrorHandler) // this plugin's routes only
 * }
 */
export function witnessQuorumErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!(error instanceof WitnessQuorumError)) return problemErrorHandler(error, request, reply)
  request.log.warn({ size: error.size, failures: error.failures }, 'witness quorum not met')
  const errors = error.failures.map((f) => ({ path: `/witnesses/${f.witness}`, message: f.reason }))
  return sendProblem(reply, serverProblem('SRV_UNAVAILABLE', error.message, { requestId: request.id, errors }), error.headers ?? {})
}
