/**
 * The server's audit trail as timeline lines, oldest first: pages are
 * fetched newest first until the last (`nextCursor: null`), spooled
 * (page-spool.ts), and read back reversed. Each event is then completed
 * with the devices it concerns: for a command action, the command's target
 * device ids (the ids the signed payload lists, else the devices the server
 * delivered it to: `all` and Merkle targets name no ids in the payload); for
 * a device action, the device.
 *
 * Trusts the server for what the trail says: it is the server's record,
 * not a signed one (the log's signed actions come from log-timeline.ts).
 */
import { parseCommandPayload } from '@palisade/protocol'
import { isCliError } from '../errors.js'
import { getAuditPage, type AuditEventRow, type AuditQuery } from '../http/audit-api.js'
import { getCommand } from '../http/commands-api.js'
import type { OrgSession } from '../http/session.js'
import { openPageSpool } from './page-spool.js'
import type { TimelineLine } from './timeline-format.js'

/** Default events per request (the server allows 1..1000). */
export const AUDIT_PAGE_SIZE = 500
/** Commands whose devices are remembered between events (an incident touches few). */
const COMMAND_CACHE = 256

/** Progress callbacks (counts only: never an event's content). */
export interface AuditTimelineProgress {
  onPage?(fetched: number): void
}

/**
 * Every event matching `query` (minus cursor and limit), oldest first, as
 * timeline lines.
 *
 * @example
 * for await (const line of auditTimeline(session, { since, until }, 500)) write(line)
 */
export async function* auditTimeline(
  s: OrgSession,
  query: Omit<AuditQuery, 'cursor' | 'limit'>,
  pageSize = AUDIT_PAGE_SIZE,
  progress: AuditTimelineProgress = {},
): AsyncGenerator<TimelineLine> {
  const spool = await openPageSpool<AuditEventRow>()
  try {
    let cursor: string | undefined
    let fetched = 0
    const seen = new Set<string>()
    for (;;) {
      const page = await getAuditPage(s, { ...query, limit: pageSize, ...(cursor === undefined ? {} : { cursor }) })
      await spool.push(page.events)
      fetched += page.events.length
      progress.onPage?.(fetched)
      if (page.nextCursor === null || page.events.length === 0) break
      // A server that hands back a cursor it already gave would page forever.
      if (seen.has(page.nextCursor)) throw new Error(`the server repeated the audit cursor ${page.nextCursor}`)
      seen.add(page.nextCursor)
      cursor = page.nextCursor
    }
  } catch (e) {
    await spool.discard()
    throw e
  }
  const devices = commandDevices(s)
  for await (const e of spool.reversed()) yield await lineOf(e, devices)
}

async function lineOf(e: AuditEventRow, devicesOfCommand: (id: string) => Promise<readonly string[]>): Promise<TimelineLine> {
  let devices: readonly string[] = []
  if (e.targetType === 'command' && e.targetId !== null) devices = await devicesOfCommand(e.targetId)
  else if (e.targetType === 'device' && e.targetId !== null) devices = [e.targetId]
  return {
    time: new Date(e.createdAt).toISOString(),
    source: 'audit',
    id: e.id,
    actorType: e.actorType,
    actorId: e.actorId,
    actorName: e.actorName,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    result: e.result,
    statusCode: e.statusCode,
    sourceAddr: e.sourceAddr,
    requestId: e.requestId,
    devices,
    details: e.details,
  }
}

/** Looks up a command's target devices, remembering the last few. */
function commandDevices(s: OrgSession): (id: string) => Promise<readonly string[]> {
  const cache = new Map<string, readonly string[]>()
  return async (id) => {
    const hit = cache.get(id)
    if (hit !== undefined) {
      cache.delete(id)
      cache.set(id, hit)
      return hit
    }
    let ids: readonly string[]
    try {
      const c = await getCommand(s, id)
      const listed = targetIds(c.payload)
      ids = listed ?? [...new Set(c.deliveries.map((d) => d.deviceId))].sort()
    } catch (e) {
      // A refused draft (no such command) or one since removed concerns no device we can name.
      if (isCliError(e, 'CLI_SERVER_REFUSED') && e.details?.['status'] === 404) ids = []
      else throw e
    }
    cache.set(id, ids)
    if (cache.size > COMMAND_CACHE) cache.delete(cache.keys().next().value as string)
    return ids
  }
}

/** The device ids a command payload lists; undefined for `all`, Merkle targets, or bytes that are no payload. */
function targetIds(bytes: Uint8Array): string[] | undefined {
  try {
    const t = parseCommandPayload(bytes).targets
    return t.kind === 'devices' ? [...t.ids] : undefined
  } catch {
    return undefined
  }
}
