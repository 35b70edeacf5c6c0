/**
 * The log routes (WIRE.md "Log"), for readers of the org. What they serve
 * verifies without trusting the server: notes against the root's log and
 * witness keys, entries and proofs against a checkpoint's root hash.
 *
 * - GET  …/log/checkpoint → `{ note }`, the latest cosigned checkpoint;
 * - GET  …/log/checkpoints → `{ checkpoints: [{ size, note }] }`, by size;
 * - GET  …/log/entries?start=&end= → `{ entries: [{ index, kind, data }] }`
 *   (end exclusive, at most 1000, stops at the log size);
 * - GET  …/log/proof/inclusion?index=&size= → `{ proof: [base64] }`;
 * - GET  …/log/proof/consistency?from=&to= → `{ proof: [base64] }`;
 * - POST …/log/publish `{}` (or no body) → `{ size, note }`: publish now (recovery after
 *   witnesses were down); 503 naming the witnesses when the quorum fails.
 */
import { toBase64 } from '@palisade/protocol'
import { orgAccess } from '../auth/access.js'
import { orgOf } from '../auth/request-principal.js'
import { ServerError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { COUNT_STRING, ORG_PARAMS_SCHEMA, PROOF_SCHEMA, queryCount } from './route-schemas.js'
import { witnessQuorumErrorHandler } from './witness-quorum-error.js'

const CHECKPOINT = objectSchema({ size: { type: 'integer' }, note: { type: 'string' } }, ['size', 'note'])

/** The log routes. */
export const logRoutes: RoutePlugin = async (app, { log }) => {
  app.setErrorHandler(witnessQuorumErrorHandler)
  const base = { config: { access: orgAccess('read') } }

  app.get(
    '/v1/orgs/:org/log/checkpoint',
    { ...base, schema: { params: ORG_PARAMS_SCHEMA, querystring: NO_QUERY, response: { 200: objectSchema({ note: { type: 'string' } }, ['note']) } } },
    async (request) => {
      const latest = await log.latest(orgOf(request))
      if (latest === null) throw new ServerError('SRV_NOT_FOUND', 'no checkpoint has been published yet')
      return { note: latest.note }
    },
  )

  app.get(
    '/v1/orgs/:org/log/checkpoints',
    {
      ...base,
      schema: { params: ORG_PARAMS_SCHEMA, querystring: NO_QUERY, response: { 200: objectSchema({ checkpoints: { type: 'array', items: CHECKPOINT } }, ['checkpoints']) } },
    },
    async (request) => ({ checkpoints: await log.checkpoints(orgOf(request)) }),
  )

  app.get(
    '/v1/orgs/:org/log/entries',
    {
      ...base,
      schema: {
        params: ORG_PARAMS_SCHEMA,
        querystring: objectSchema({ start: COUNT_STRING, end: COUNT_STRING }, ['start', 'end']),
        response: {
          200: objectSchema(
            {
              entries: {
                type: 'array',
                items: objectSchema({ index: { type: 'integer' }, kind: { type: 'string' }, data: { type: 'string' } }, ['index', 'kind', 'data']),
              },
            },
            ['entries'],
          ),
        },
      },
    },
    async (request) => {
      const q = request.query as { start: string; end: string }
      const entries = await log.entries(orgOf(request), queryCount(q.start), queryCount(q.end))
      return { entries: entries.map((e) => ({ index: e.index, kind: e.kind, data: toBase64(e.data) })) }
    },
  )

  app.get(
    '/v1/orgs/:org/log/proof/inclusion',
    {
      ...base,
      schema: {
        params: ORG_PARAMS_SCHEMA,
        querystring: objectSchema({ index: COUNT_STRING, size: COUNT_STRING }, ['index', 'size']),
        response: { 200: PROOF_SCHEMA },
      },
    },
    async (request) => {
      const q = request.query as { index: string; size: string }
      const proof = await log.inclusionProof(orgOf(request), queryCount(q.index), queryCount(q.size))
      return { proof: proof.map(toBase64) }
    },
  )

  app.get(
    '/v1/orgs/:org/log/proof/consistency',
    {
      ...base,
      schema: {
        params: ORG_PARAMS_SCHEMA,
        querystring: objectSchema({ from: COUNT_STRING, to: COUNT_STRING }, ['from', 'to']),
        response: { 200: PROOF_SCHEMA },
      },
    },
    async (request) => {
      const q = request.query as { from: string; to: string }
      const proof = await log.consistencyProof(orgOf(request), queryCount(q.from), queryCount(q.to))
      return { proof: proof.map(toBase64) }
    },
  )

  app.post(
    '/v1/orgs/:org/log/publish',
    {
      // Audited after the handler (audit-hook.ts), not in a transaction: a publish
      // waits for witnesses over the network, so it cannot share one with its
      // event. What holds: the event is written before the answer leaves, or the
      // caller gets 503; the checkpoint may then be out, which is harmless —
      // publishing adds no entry, and a retry publishes the same log again.
      config: { access: orgAccess('commands:sign'), audit: { action: 'log.publish', target: 'log' } },
      // An empty POST is taken as `{}`: there is nothing to send.
      preValidation: async (request) => {
        request.body ??= {}
      },
      schema: { params: ORG_PARAMS_SCHEMA, querystring: NO_QUERY, body: objectSchema({}), response: { 200: CHECKPOINT } },
    },
    async (request) => log.publish(orgOf(request)),
  )
}
