/**
 * A transaction whose success is audited inside it: the handler's change
 * and the route's audit event (audit-hook.ts, one per org on a `session`
 * route) commit together, or neither does. After the commit the request is
 * marked as audited, so the onSend hook does not write a second event; if
 * the transaction throws, nothing was written and the hook records the
 * failure as usual.
 *
 * The work runs before the event is built, so it may set
 * `request.auditTarget` / `request.auditDetails` (e.g. the id it created).
 * Like withTransaction, the callback may run again on a retryable error.
 *
 * Data-layer functions that open their own transaction after checks made
 * outside it (rotate-root.ts, rotate-credentials.ts, add-signature.ts) take
 * a {@link TransactionRunner} instead of a database, so that the route can
 * hand them one that records its event ({@link auditedTransactionRunner}).
 */
import type { FastifyRequest } from 'fastify'
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import { withTransaction, type TransactionOptions } from '../db/transaction.js'
import { ServerError } from '../errors.js'
import { auditEventsOf } from './audit-hook.js'
import { recordAudit } from './record-audit.js'

/** Options of {@link withAuditedTransaction}. */
export interface AuditedTransactionOptions extends TransactionOptions {
  /** The status the handler will answer with on success (default 200). */
  readonly statusCode?: number
  /** The event time, ms (default Date.now()). */
  readonly at?: number
}

/**
 * Runs work in one transaction: {@link withAuditedTransaction} bound to a
 * request in a route, a plain withTransaction elsewhere.
 */
export type TransactionRunner = <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>

/**
 * Runs `work` in a transaction that also records the route's success event.
 *
 * @example
 * const id = await withAuditedTransaction(db, request, async (trx) => {
 *   const id = await insertAdmin(trx, …)
 *   request.auditTarget = id
 *   return id
 * }, { statusCode: 201, at: deps.now() })
 */
export async function withAuditedTransaction<T>(
  db: Kysely<Database>,
  request: FastifyRequest,
  work: (trx: Transaction<Database>) => Promise<T>,
  options: AuditedTransactionOptions = {},
): Promise<T> {
  const decl = request.routeOptions.config.audit
  if (decl === undefined) throw new ServerError('SRV_INTERNAL', `withAuditedTransaction on ${request.routeOptions.url ?? 'a route'} without config.audit`)
  const result = await withTransaction(
    db,
    async (trx) => {
      const value = await work(trx)
      for (const event of await auditEventsOf(trx, request, options.statusCode ?? 200, decl, options.at ?? Date.now())) await recordAudit(trx, event)
      return value
    },
    options,
  )
  request.auditRecorded = true
  return result
}

/**
 * A {@link TransactionRunner} that records the route's success event in the
 * transaction it runs, for data-layer functions that take one.
 *
 * @example
 * const result = await rotateRoot({ db, log, transaction: auditedTransactionRunner(db, request, { statusCode: 201 }) }, org, body)
 */
export function auditedTransactionRunner(db: Kysely<Database>, request: FastifyRequest, options: AuditedTransactionOptions = {}): TransactionRunner {
  return (work) => withAuditedTransaction(db, request, work, options)
}
