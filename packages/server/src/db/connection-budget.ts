/**
 * Whether a node's PostgreSQL connections fit in the server's
 * max_connections, checked once at start. Each server process opens its own
 * pool of up to PALISADE_DATABASE_POOL connections, so a node of N workers
 * may hold N times that; past max_connections PostgreSQL refuses new
 * connections ("sorry, too many clients already"): requests fail with 5xx,
 * presence heartbeats stop and devices read offline, all under load, long
 * after the start that made it certain.
 *
 * Two bounds, two outcomes:
 * - the node's most does not fit even in an otherwise idle server
 *   (max_connections minus the slots reserved for superusers and, from
 *   PostgreSQL 16, for pg_use_reserved_connections): it must fail under
 *   load, so the start is refused, naming the numbers and the fix;
 * - it fits, but not beside the connections others hold right now (other
 *   nodes, tools). That is a snapshot: other nodes' pools shrink when idle,
 *   and a node being replaced still counts. So the start goes on with a
 *   warning naming the numbers; refusing would turn a passing crowd into an
 *   outage (a supervisor restarting a node that refuses, in a loop).
 * Nodes that start later are not seen here: the sum over all nodes sharing
 * one server stays the operator's to budget.
 */
import { sql, type Kysely } from 'kysely'
import type { Logger } from 'pino'
import { MIN_DATABASE_POOL } from '../config.js'
import { ServerError } from '../errors.js'
import type { Database } from './schema.js'

/** What a PostgreSQL server allows and what is taken. */
export interface ConnectionLimits {
  /** max_connections. */
  readonly maxConnections: number
  /** superuser_reserved_connections plus reserved_connections (PostgreSQL 16+). */
  readonly reserved: number
  /** Client connections open now, other than the one that asked. */
  readonly inUse: number
}

/** What a node may open: `processes` pools of `pool` connections each. */
export interface ConnectionNeed {
  readonly processes: number
  readonly pool: number
}

/** The verdict of {@link judgeConnectionBudget}. */
export type ConnectionVerdict =
  | { readonly outcome: 'fits' }
  | { readonly outcome: 'crowded'; readonly message: string }
  | { readonly outcome: 'refused'; readonly message: string }

/**
 * Reads the limits from the server `db` talks to.
 *
 * @example
 * const limits = await readConnectionLimits(db) // { maxConnections: 100, reserved: 3, inUse: 12 }
 */
export async function readConnectionLimits(db: Kysely<Database>): Promise<ConnectionLimits> {
  // current_setting(…, true) is null where the setting does not exist (reserved_connections before 16).
  const { rows } = await sql<{ max: number; superuser: number; reserved: number; in_use: number }>`
    select current_setting('max_connections')::int as max,
           current_setting('superuser_reserved_connections')::int as superuser,
           coalesce(current_setting('reserved_connections', true), '0')::int as reserved,
           (select count(*)::int from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()) as in_use
  `.execute(db)
  const r = rows[0]!
  return { maxConnections: r.max, reserved: r.superuser + r.reserved, inUse: r.in_use }
}

/**
 * Judges `need` against `limits` (pure; see the module comment for why
 * one bound refuses and the other only warns).
 *
 * @example
 * judgeConnectionBudget({ processes: 16, pool: 10 }, { maxConnections: 100, reserved: 3, inUse: 0 }).outcome // 'refused'
 */
export function judgeConnectionBudget(need: ConnectionNeed, limits: ConnectionLimits): ConnectionVerdict {
  const most = need.processes * need.pool
  const usable = limits.maxConnections - limits.reserved
  const asked =
    need.processes === 1
      ? `PALISADE_DATABASE_POOL ${need.pool}: up to ${most} PostgreSQL connections`
      : `${need.processes} workers × PALISADE_DATABASE_POOL ${need.pool} = up to ${most} PostgreSQL connections`
  const allows = `max_connections ${limits.maxConnections} minus ${limits.reserved} reserved`
  if (most > usable) {
    const perProcess = Math.floor(usable / need.processes)
    const fix =
      perProcess >= MIN_DATABASE_POOL
        ? `set PALISADE_DATABASE_POOL to at most ${perProcess}${need.processes === 1 ? '' : ` for ${need.processes} workers`}`
        : `run at most ${Math.max(1, Math.floor(usable / MIN_DATABASE_POOL))} workers with PALISADE_DATABASE_POOL ${MIN_DATABASE_POOL}`
    return { outcome: 'refused', message: `${asked}, more than the server allows (${usable}: ${allows}): ${fix}, or raise max_connections` }
  }
  const free = usable - limits.inUse
  if (most > free) {
    return {
      outcome: 'crowded',
      message: `${asked}, but only ${Math.max(free, 0)} are free now (${allows}, ${limits.inUse} in use by others): under load, queries may fail with "too many clients"`,
    }
  }
  return { outcome: 'fits' }
}

/**
 * Reads the limits and judges `need`: throws ServerError
 * `SRV_CONFIG_INVALID` (path PALISADE_DATABASE_POOL) when refused, logs a
 * warning when crowded. Nothing to check on SQLite: call it for PostgreSQL only.
 *
 * @example
 * await checkConnectionBudget(db, { processes: config.workers, pool: config.databasePool }, logger)
 */
export async function checkConnectionBudget(db: Kysely<Database>, need: ConnectionNeed, logger: Logger): Promise<void> {
  const limits = await readConnectionLimits(db)
  const verdict = judgeConnectionBudget(need, limits)
  if (verdict.outcome === 'refused') {
    throw new ServerError('SRV_CONFIG_INVALID', `invalid configuration: PALISADE_DATABASE_POOL: ${verdict.message}`, {
      errors: [{ path: 'PALISADE_DATABASE_POOL', message: verdict.message }],
    })
  }
  if (verdict.outcome === 'crowded') logger.warn({ ...limits, processes: need.processes, pool: need.pool }, verdict.message)
}
