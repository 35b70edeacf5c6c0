/**
 * The command routes (WIRE.md "Commands"): draft, list, show, and sign.
 * Admins sign the canonical payload bytes this API hands back, on their own
 * machines; the server collects the signatures and logs the command when
 * the root's threshold is met (add-signature.ts, log-command.ts).
 *
 * Audit: a draft is inserted in the transaction that records its
 * `command.create` event; a signature is stored in the transaction that
 * records its `command.sign` event (add-signature.ts). Logging the command
 * afterwards talks to witnesses and cannot share that transaction: when it
 * fails, the caller gets the error but the trail keeps the success event,
 * because the signature IS stored (and the retry that logs is idempotent).
 */
import { toBase64 } from '@palisade/protocol'
import { sql } from 'kysely'
import { orgAccess } from '../auth/access.js'
import { auditedTransactionRunner, withAuditedTransaction } from '../audit/audited-transaction.js'
import { creatorOf, orgOf } from '../auth/request-principal.js'
import { ServerError } from '../errors.js'
import { NO_QUERY, objectSchema } from '../http/schemas.js'
import { witnessQuorumErrorHandler } from '../log/witness-quorum-error.js'
import type { RoutePlugin } from '../routes/route-context.js'
import { addSignature, type InFlightLogging } from './add-signature.js'
import { commandIdOf, commandKey } from './command-key.js'
import { CLOSED_DELIVERY_STATUSES } from './command-status.js'
import { COMMAND_SCHEMA, COMMAND_SUMMARY_SCHEMA, resultView } from './command-view.js'
import { adminNames, currentRoot } from './org-roots.js'
import { prepareCommand, type CommandDraft } from './prepare-command.js'
import { expandTargetGroups, MAX_TARGET_GROUPS, type GroupTargetedDraft } from '../directory/target-groups.js'
import { ENTITY_ID, LIST_QUERY, listLimit, ORG_ENTITY_PARAMS, ORG_PARAMS } from './route-params.js'

/** Body limit of a command draft: a merkle target list of ~300,000 device ids. */
export const COMMAND_BODY_LIMIT = 8 * 1024 * 1024

const TALLY = objectSchema(
  { signatures: { type: 'integer' }, threshold: { type: 'integer' }, status: { type: 'string' } },
  ['signatures', 'threshold', 'status'],
)

/** The command routes. */
export const commandsRoutes: RoutePlugin = async (app, { db, log, gateway }) => {
  // Signing may publish: a witness quorum failure names the witnesses (503).
  app.setErrorHandler(witnessQuorumErrorHandler)
  const inFlight: InFlightLogging = new Map()
  const deps = { db, log, dispatch: (key: string) => gateway.dispatch(key) }
  const thresholdOf = async (org: string): Promise<number> => {
    const current = await currentRoot(db, org)
    if (current === undefined) throw new ServerError('SRV_CONFLICT', 'the org has no root of trust yet: finish setup first')
    return current.root.thresholds.command
  }

  app.post(
    '/v1/orgs/:org/commands',
    {
      config: { access: orgAccess('commands:draft'), audit: { action: 'command.create', target: 'command' } },
      bodyLimit: COMMAND_BODY_LIMIT,
      schema: {
        params: ORG_PARAMS,
        querystring: NO_QUERY,
        body: objectSchema(
          {
            payload: { type: 'object' },
            targetIds: { type: 'array', maxItems: 1_000_000, items: ENTITY_ID },
            // Device groups resolved now into the signed device list (directory/target-groups.ts).
            targetGroupIds: { type: 'array', maxItems: MAX_TARGET_GROUPS, items: ENTITY_ID },
          },
          ['payload'],
        ),
        response: {
          201: objectSchema(
            { id: { type: 'string' }, payload: { type: 'string' }, status: { type: 'string' }, threshold: { type: 'integer' } },
            ['id', 'payload', 'status', 'threshold'],
          ),
        },
      },
    },
    async (request, reply) => {
      const org = orgOf(request)
      const current = await currentRoot(db, org)
      if (current === undefined) throw new ServerError('SRV_CONFLICT', 'the org has no root of trust yet: finish setup first')
      const now = Date.now()
      const draft = await expandTargetGroups(db, org, request.body as GroupTargetedDraft)
      const prepared = await prepareCommand(db, org, current, draft as CommandDraft, Math.floor(now / 1000))
      const id = prepared.payload.id
      request.auditTarget = id
      await withAuditedTransaction(db, request, async (trx) => {
        const inserted = await trx
          .insertInto('commands')
          .values({
            id: commandKey(org, id),
            org_id: org,
            payload: prepared.bytes,
            status: 'awaiting-signatures',
            created_at: now,
            created_by: creatorOf(request),
            not_after: prepared.payload.notAfter * 1000,
            target_ids: JSON.stringify(prepared.targetIds),
            target_count: prepared.targetIds.length,
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .executeTakeFirst()
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
          throw new ServerError('SRV_CONFLICT', `a command with id ${id} already exists in this org`, {
            errors: [{ path: '/body/payload/id', message: 'is already used by another command of this org' }],
          })
        }
      }, { statusCode: 201, at: now })
      request.log.info({ org, commandId: id, targets: prepared.targetIds.length }, 'command drafted')
      gateway.events.emit(org, { kind: 'command', id })
      return reply.code(201).send({ id, payload: toBase64(prepared.bytes), status: 'awaiting-signatures', threshold: current.root.thresholds.command })
    },
  )

  app.get(
    '/v1/orgs/:org/commands',
    {
      config: { access: orgAccess('read') },
      schema: {
        params: ORG_PARAMS,
        querystring: LIST_QUERY,
        response: {
          200: { type: 'object', additionalProperties: false, required: ['commands'], properties: { commands: { type: 'array', items: COMMAND_SUMMARY_SCHEMA } } },
        },
      },
    },
    async (request) => {
      const org = orgOf(request)
      const threshold = await thresholdOf(org)
      const rows = await db
        .selectFrom('commands as c')
        .select(['c.id', 'c.status', 'c.created_at', 'c.target_count'])
        .select((eb) => [
          eb.selectFrom('command_signatures as s').select(sql<number>`count(*)`.as('n')).whereRef('s.command_id', '=', 'c.id').as('signatures'),
          eb
            .selectFrom('deliveries as d')
            .select(sql<number>`count(*)`.as('n'))
            .whereRef('d.command_id', '=', 'c.id')
            .where('d.status', 'in', CLOSED_DELIVERY_STATUSES)
            .as('done'),
        ])
        .where('c.org_id', '=', org)
        .orderBy('c.created_at', 'desc')
        .orderBy('c.id', 'desc')
        .limit(listLimit(request.query))
        .execute()
      return {
        commands: rows.map((r) => ({
          id: commandIdOf(r.id),
          status: r.status,
          createdAt: r.created_at,
          signatures: Number(r.signatures ?? 0),
          threshold,
          targets: r.target_count ?? 0,
          done: Number(r.done ?? 0),
        })),
      }
    },
  )

  app.get(
    '/v1/orgs/:org/commands/:id',
    { config: { access: orgAccess('read') }, schema: { params: ORG_ENTITY_PARAMS, querystring: NO_QUERY, response: { 200: COMMAND_SCHEMA } } },
    async (request) => {
      const org = orgOf(request)
      const { id } = request.params as { id: string }
      const key = commandKey(org, id)
      const c = await db.selectFrom('commands').select(['status', 'payload', 'log_index']).where('id', '=', key).where('org_id', '=', org).executeTakeFirst()
      if (c === undefined) throw new ServerError('SRV_NOT_FOUND', `no command ${id} in this org`)
      const [threshold, names, signatures, deliveries, results] = await Promise.all([
        thresholdOf(org),
        adminNames(db, org),
        db.selectFrom('command_signatures').select('keyid').where('command_id', '=', key).orderBy('created_at').orderBy('keyid').execute(),
        db.selectFrom('deliveries').select(['device_id', 'status']).where('command_id', '=', key).orderBy('device_id').execute(),
        db.selectFrom('results').select('envelope').where('command_id', '=', key).orderBy('device_id').execute(),
      ])
      return {
        id,
        status: c.status,
        payload: toBase64(new Uint8Array(c.payload)),
        signatures: signatures.map((s) => ({ keyid: s.keyid, name: names.get(s.keyid) ?? null })),
        threshold,
        logIndex: c.log_index,
        deliveries: deliveries.map((d) => ({ deviceId: d.device_id, status: d.status })),
        results: results.map((r) => resultView(r.envelope)),
      }
    },
  )

  app.post(
    '/v1/orgs/:org/commands/:id/signatures',
    {
      config: { access: orgAccess('commands:sign'), audit: { action: 'command.sign', target: 'command' } },
      schema: {
        params: ORG_ENTITY_PARAMS,
        querystring: NO_QUERY,
        body: objectSchema({ keyid: { type: 'string', minLength: 1, maxLength: 256 }, sig: { type: 'string', minLength: 1, maxLength: 128 } }, ['keyid', 'sig']),
        response: { 200: TALLY },
      },
    },
    async (request) => {
      const org = orgOf(request)
      const { id } = request.params as { id: string }
      const { keyid, sig } = request.body as { keyid: string; sig: string }
      request.auditDetails = { keyid }
      const tally = await addSignature(deps, inFlight, org, id, keyid, sig, { store: auditedTransactionRunner(db, request) })
      request.log.info({ org, commandId: id, keyid, ...tally }, 'command signature accepted')
      gateway.events.emit(org, { kind: 'command', id })
      if (tally.status !== 'awaiting-signatures') gateway.events.emit(org, { kind: 'log' })
      return tally
    },
  )
}
