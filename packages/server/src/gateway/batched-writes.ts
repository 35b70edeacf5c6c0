/**
 * The gateway's per-delivery writes, collected per group-commit batch
 * (group-commit.ts BatchScope) and done as a few multi-row statements: a
 * fan-out to 10,000 devices then costs a handful of statements per batch
 * of answers, not five or six per answer. Each helper is the batched form
 * of one single-row write the gateway used to make, with the same guards
 * (e.g. a "sent" mark never reopens a closed delivery).
 *
 * Phases order the statements inside a batch: rows first (phase 0), then
 * the command's status (1: delivering, 2: done), so "is any delivery of the
 * command still open?" sees this batch's answers.
 */
import type { Transaction } from 'kysely'
import { OPEN_DELIVERY_STATUSES } from '../commands/command-status.js'
import type { Database } from '../db/schema.js'
import type { AgentState } from './frames.js'
import type { BatchScope } from './group-commit.js'
import { isPostgres } from '../log/org-lock.js'

/**
 * Statuses a command may have when its first delivery is sent.
 * `awaiting-signatures` too: its deliveries are created with its log entry
 * (commands/log-command.ts), and one can go out under a checkpoint that
 * another command's logging published, before the command's own logging
 * call has marked it logged (or after that call failed to publish). The
 * gateway sends only what a cosigned checkpoint covers, so such a command
 * is logged, whatever its own logging call does next.
 */
const BEFORE_DELIVERING = ['awaiting-signatures', 'logged'] as const

/** Ids per IN list and rows per multi-row insert: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500

/** A result row as stored. */
export interface ResultRow {
  readonly command_id: string
  readonly device_id: string
  readonly envelope: string
  readonly exit_code: number | null
  readonly status: string
  readonly received_at: number
}

/**
 * Stores a device-signed result (once: a repeat is ignored).
 *
 * @example
 * insertResult(batch, { command_id: 'acme/c1', device_id: 'd1', envelope, exit_code: 0, status: 'ok', received_at: Date.now() })
 */
export function insertResult(batch: BatchScope, row: ResultRow): void {
  batch.collect('results', 0, row, async (trx, rows: readonly ResultRow[]) => {
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx
        .insertInto('results')
        .values(rows.slice(i, i + CHUNK) as ResultRow[])
        .onConflict((oc) => oc.columns(['command_id', 'device_id']).doNothing())
        .execute()
    }
  })
}

/**
 * Marks `deviceId`'s delivery of command `key` completed (an answer is
 * final whenever it comes) and the command done once none is open.
 *
 * @example
 * completeDelivery(batch, 'acme/c1', 'd1')
 */
export function completeDelivery(batch: BatchScope, key: string, deviceId: string): void {
  batch.collect(`completed\n${key}`, 0, deviceId, (trx, ids: readonly string[]) =>
    inChunks(ids, (chunk) =>
      trx
        .updateTable('deliveries')
        .set({ status: 'completed', updated_at: Date.now() })
        .where('command_id', '=', key)
        .where('device_id', 'in', chunk)
        .where('status', '<>', 'completed')
        .execute(),
    ),
  )
  doneIfClosed(batch, key)
}

/**
 * Marks deliveries of `key` sent (if still open) and the command
 * `delivering` (if it was not yet: see {@link BEFORE_DELIVERING}).
 *
 * @example
 * markSent(batch, 'acme/c1', 'd1')
 */
export function markSent(batch: BatchScope, key: string, deviceId: string): void {
  batch.collect(`sent\n${key}`, 0, deviceId, (trx, ids: readonly string[]) =>
    inChunks(ids, (chunk) =>
      trx
        .updateTable('deliveries')
        .set((eb) => ({ status: 'sent', attempts: eb('attempts', '+', 1), updated_at: Date.now() }))
        .where('command_id', '=', key)
        .where('device_id', 'in', chunk)
        .where('status', 'in', OPEN_DELIVERY_STATUSES)
        .execute(),
    ),
  )
  batch.collect(`delivering\n${key}`, 1, key, async (trx) => {
    await trx
      .updateTable('commands')
      .set({ status: 'delivering' })
      .where('id', '=', key)
      .where('status', 'in', BEFORE_DELIVERING)
      .where('log_index', 'is not', null)
      .execute()
  })
}

/**
 * Once per batch and command: marks it done when no delivery of it is
 * open. One indexed LIMIT 1 lookup (deliveries_command_status_idx), so the
 * cost per batch does not grow with the deliveries already closed.
 *
 * Several nodes (or worker processes) answer deliveries of one command at
 * once. Each batch checks inside its own transaction, so two batches
 * closing the last open deliveries could each see the other's as still
 * open, and neither would mark the command done (seen in a two-worker
 * test). On PostgreSQL the check therefore first locks the command's row:
 * the second batch waits for the first to commit, and its check, a new
 * statement under READ COMMITTED, then sees both. Commands are locked in
 * sorted order so two batches never wait on each other. SQLite has one
 * writer at a time, so its checks cannot interleave.
 *
 * The lock is FOR NO KEY UPDATE, not FOR UPDATE: every result a batch
 * stored earlier checked its foreign key to the command, which holds a
 * KEY SHARE lock on that row until commit. FOR UPDATE conflicts with KEY
 * SHARE, so two batches that had each stored a result waited for each
 * other here, and PostgreSQL aborted one as a deadlock after a second;
 * with four worker processes every batch collided, and a 50k fan-out
 * stalled (done-race.test.ts). FOR NO KEY UPDATE conflicts with itself,
 * which is all the check needs, and not with KEY SHARE.
 *
 * @example
 * doneIfClosed(batch, 'acme/c1')
 */
export function doneIfClosed(batch: BatchScope, key: string): void {
  batch.collect('done', 2, key, async (trx, keys: readonly string[]) => {
    const postgres = isPostgres(trx)
    for (const k of [...new Set(keys)].sort()) {
      if (postgres) await trx.selectFrom('commands').select('id').where('id', '=', k).forNoKeyUpdate().execute()
      await markDoneIfClosed(trx, k)
    }
  })
}

/** The command is done when none of its deliveries is open (see {@link doneIfClosed} for concurrent callers). */
export async function markDoneIfClosed(trx: Transaction<Database>, key: string): Promise<void> {
  const open = await trx
    .selectFrom('deliveries')
    .select('device_id')
    .where('command_id', '=', key)
    .where('status', 'in', OPEN_DELIVERY_STATUSES)
    .limit(1)
    .executeTakeFirst()
  if (open === undefined) {
    await trx
      .updateTable('commands')
      .set({ status: 'done' })
      .where('id', '=', key)
      .where('status', 'in', [...BEFORE_DELIVERING, 'delivering'])
      .where('log_index', 'is not', null)
      .execute()
  }
}

/**
 * Records that a device was seen now, with the trust state it reported
 * (devices in one fan-out report the same state, so they share one
 * statement).
 *
 * @example
 * deviceSeen(batch, 'd1', { rootVersion: 1, checkpointSize: 7 })
 */
export function deviceSeen(batch: BatchScope, deviceId: string, state: AgentState): void {
  const { rootVersion, checkpointSize } = state
  batch.collect(`seen\n${rootVersion}\n${checkpointSize}`, 0, deviceId, (trx, ids: readonly string[]) =>
    inChunks(ids, (chunk) =>
      trx
        .updateTable('devices')
        .set({ last_seen_at: Date.now(), root_version: rootVersion, checkpoint_size: checkpointSize })
        .where('id', 'in', chunk)
        .execute(),
    ),
  )
}

async function inChunks(ids: readonly string[], run: (chunk: string[]) => Promise<unknown>): Promise<void> {
  const unique = [...new Set(ids)]
  for (let i = 0; i < unique.length; i += CHUNK) await run(unique.slice(i, i + CHUNK))
}
