/**
 * The transparency log's signed actions as timeline lines (`audit export
 * --include-log`): each root version and each command, with the admins
 * whose signatures verify, by name. Only a log that passes the same audit
 * as `palisade log audit` (from the pinned root fingerprint, trusting
 * nothing the server says) is used; a log that fails is refused whole.
 *
 * A log entry carries no server time, so a line's time is the signed one:
 * a command's `notBefore`, a root's `issuedAt` (both chosen by the admins
 * who drafted them, to the second).
 */
import {
  COMMAND_PAYLOAD_TYPE,
  ROOT_PAYLOAD_TYPE,
  dsse,
  parseCommandPayload,
  type AdminKey,
  type SignedRoot,
} from '@palisade/protocol'
import { auditEntries, type AuditEntry, type RootInForce } from '../audit/audit-entries.js'
import { FindingList } from '../audit/findings.js'
import type { TimelineLine } from './timeline-format.js'

/** Which log lines to keep (the same filters the audit API applies). */
export interface LogLineFilter {
  readonly since?: number
  readonly until?: number
  readonly actor?: string
  readonly action?: string
  readonly result?: string
}

/**
 * The lines of a log that already passed `auditLog` (the caller checks),
 * filtered, sorted by time (log order among equal times).
 *
 * @example
 * const lines = logTimeline(entries, 'acme', pin, { since })
 */
export function logTimeline(entries: readonly AuditEntry[], org: string, fingerprint: string, filter: LogLineFilter): TimelineLine[] {
  const walk = auditEntries(entries, org, fingerprint, new FindingList())
  const out: TimelineLine[] = []
  let r = 0
  for (let i = 0; i < entries.length; i++) {
    while (r + 1 < walk.roots.length && walk.roots[r + 1]!.index <= i) r++
    const line = lineOf(entries[i]!, i, walk.roots, r)
    if (line !== undefined && keep(line, filter)) out.push(line)
  }
  return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))
}

function lineOf(entry: AuditEntry, i: number, roots: readonly RootInForce[], r: number): TimelineLine | undefined {
  const inForce = roots[r]
  if (inForce === undefined) return undefined
  const env = dsse.parseEnvelope(entry.data)
  if (env.payloadType === ROOT_PAYLOAD_TYPE && inForce.index === i) {
    const signed = inForce.signed
    const before = r > 0 ? roots[r - 1]!.signed : undefined
    const signers = signersOf(env, [...signed.root.admins, ...(before?.root.admins ?? [])], ROOT_PAYLOAD_TYPE)
    return base(i, signed.root.issuedAt, signers, {
      action: 'log.root',
      targetType: 'root',
      targetId: `v${signed.root.version}`,
      devices: [],
      details: {
        logIndex: i,
        version: signed.root.version,
        fingerprint: signed.fingerprint,
        frozen: signed.root.frozen,
        logKey: signed.root.log.key,
        admins: signed.root.admins.map((a) => a.name),
        signers: signers.map((s) => s.name),
      },
    })
  }
  if (env.payloadType !== COMMAND_PAYLOAD_TYPE) return undefined
  const root: SignedRoot = inForce.signed
  const payload = parseCommandPayload(env.payload)
  const signers = signersOf(env, root.root.admins, COMMAND_PAYLOAD_TYPE)
  return base(i, payload.notBefore, signers, {
    action: 'log.command',
    targetType: 'command',
    targetId: payload.id,
    devices: payload.targets.kind === 'devices' ? [...payload.targets.ids] : [],
    details: {
      logIndex: i,
      rootVersion: root.root.version,
      targets: payload.targets.kind === 'merkle' ? `merkle (${payload.targets.count} devices)` : payload.targets.kind,
      interpreter: payload.interpreter,
      runAs: payload.runAs,
      script: (payload.script.split('\n', 1)[0] ?? '').slice(0, 200),
      notAfter: new Date(payload.notAfter * 1000).toISOString(),
      signers: signers.map((s) => s.name),
    },
  })
}

function base(
  i: number,
  seconds: number,
  signers: readonly AdminKey[],
  rest: Pick<TimelineLine, 'action' | 'targetType' | 'targetId' | 'devices' | 'details'>,
): TimelineLine {
  return {
    time: new Date(seconds * 1000).toISOString(),
    source: 'log',
    id: `log:${i}`,
    actorType: 'admins',
    actorId: signers.map((s) => s.id).join(','),
    actorName: signers.map((s) => s.name).join(','),
    result: 'logged',
    statusCode: null,
    sourceAddr: null,
    requestId: null,
    ...rest,
  }
}

/** The admins (of `keys`, distinct by id) whose signatures on `env` verify. */
function signersOf(env: dsse.Envelope, keys: readonly AdminKey[], payloadType: string): AdminKey[] {
  const byId = new Map(keys.map((k) => [k.id, k]))
  try {
    const v = dsse.verifyEnvelope(env, { payloadType, keys: [...byId.values()].map((k) => ({ keyid: k.id, publicKey: k.publicKey })), threshold: 1 })
    return v.signedBy.map((id) => byId.get(id)!).filter((k) => k !== undefined)
  } catch {
    return [] // the audit already refused a log with too few signatures; nothing to name here
  }
}

function keep(l: TimelineLine, f: LogLineFilter): boolean {
  const ms = Date.parse(l.time)
  if (f.since !== undefined && ms < f.since) return false
  if (f.until !== undefined && ms >= f.until) return false
  if (f.result !== undefined && f.result !== l.result) return false
  if (f.action !== undefined && !(f.action.endsWith('.*') ? l.action.startsWith(f.action.slice(0, -1)) : l.action === f.action)) return false
  if (f.actor !== undefined) {
    const names = `${l.actorName ?? ''}`.split(',')
    const ids = `${l.actorId ?? ''}`.split(',')
    if (!names.includes(f.actor) && !ids.includes(f.actor)) return false
  }
  return true
}
