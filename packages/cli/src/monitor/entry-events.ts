/**
 * Every new log entry as the org should see it: a root version (what
 * changed), or a command (who signed it, what runs where, when), each
 * verified before it is printed: a root against the one before it (G3), a
 * command against the admin keys and threshold of the root in force (G1).
 * Raises MON_BAD_SIGNATURE for an entry that does not verify,
 * MON_NEW_SIGNER the first time an admin key signs a command, and
 * MON_FEW_TARGETS for a command aimed at a small part of a large fleet.
 *
 * Pure: the caller passes the entries it already checked against a
 * cosigned checkpoint (log-growth.ts), the served root chain it verified
 * from the pin, and what the server says about devices (only used to
 * describe and to size the fleet, never to decide validity). Mutates the
 * monitor state it is given (root in force, signers, printed anomalies).
 */
import {
  ACTION_KINDS,
  COMMAND_PAYLOAD_TYPE,
  ROOT_PAYLOAD_TYPE,
  dsse,
  parseCommandPayload,
  verifyAnchorRoot,
  verifyRootUpdate,
  type CommandPayload,
  type Root,
  type SignedRoot,
} from '@palisade/protocol'
import { describeRootChanges } from '../payload/describe-root-change.js'
import { visible } from '../payload/describe-command.js'
import { witnessName } from '../payload/root-changes.js'
import type { JsonValue } from '../io/output.js'
import { anomaly, type MonitorEvent } from './monitor-event.js'
import { firstReport, type MonitorState } from './monitor-state.js'
import { why } from './served-checkpoint.js'

/** What the server says about the fleet (unauthenticated; for display and sizing only). */
export interface Fleet {
  /** Enrolled devices, as the server counts them. */
  readonly count: number
  readonly hostnames: ReadonlyMap<string, string>
  /** Target device ids the server lists per command (for Merkle-committed targets). */
  readonly listedTargets: ReadonlyMap<string, readonly string[]>
}

/** The settings and facts of one round. */
export interface EntryContext {
  /** Unix milliseconds. */
  readonly now: number
  readonly pinned: string
  readonly org: string
  /** The served root chain, verified from the pin. */
  readonly served: readonly SignedRoot[]
  readonly fleet: Fleet | undefined
  readonly smallTargetFraction: number
}

/** Fleets smaller than this never raise MON_FEW_TARGETS. */
export const FEW_TARGETS_MIN_FLEET = 10
const SHOWN_TARGETS = 10

/**
 * The events of `entries` (consecutive, from index state.size on).
 *
 * @example
 * events.push(...entryEvents(newEntries, state, ctx))
 */
export function entryEvents(entries: readonly { readonly index: number; readonly data: Uint8Array }[], state: MonitorState, ctx: EntryContext): MonitorEvent[] {
  const out: MonitorEvent[] = []
  let current: SignedRoot | undefined = state.rootVersion > 0 ? ctx.served[state.rootVersion - 1] : undefined
  for (const entry of entries) {
    const bad = (message: string): void => {
      if (firstReport(state, `MON_BAD_SIGNATURE entry ${entry.index}`)) out.push(anomaly(ctx.now, 'MON_BAD_SIGNATURE', `entry ${entry.index}: ${message}`, { index: entry.index }))
    }
    let env: dsse.Envelope
    try {
      env = dsse.parseEnvelope(entry.data)
    } catch (e) {
      bad(`not a DSSE envelope: ${why(e)}`)
      continue
    }
    if (env.payloadType === ROOT_PAYLOAD_TYPE) {
      let next: SignedRoot
      try {
        next = current === undefined ? verifyAnchorRoot(env, ctx.pinned) : verifyRootUpdate(current, env)
      } catch (e) {
        bad(`a root that does not verify${current === undefined ? ' from the pin' : ` after v${current.root.version}`}: ${why(e)}`)
        continue
      }
      out.push(rootEvent(ctx.now, entry.index, next, current?.root))
      current = next
      state.rootVersion = next.root.version
    } else if (env.payloadType === COMMAND_PAYLOAD_TYPE) {
      if (current === undefined) {
        bad('a command before root v1')
        continue
      }
      out.push(...commandEvents(entry.index, env, current, state, ctx, bad))
    } else {
      bad(`unknown payload type ${JSON.stringify(env.payloadType).slice(0, 80)}`)
    }
  }
  return out
}

function rootEvent(now: number, index: number, next: SignedRoot, prev: Root | undefined): MonitorEvent {
  const r = next.root
  const monitors = monitorsOf(r)
  let changes: string[]
  if (prev === undefined) {
    changes = [
      `admins ${r.admins.map((a) => a.name).join(', ')}`,
      `thresholds ${ACTION_KINDS.map((k) => `${k} ${r.thresholds[k]}`).join(', ')}`,
      `witnesses ${r.witnesses.quorum} of ${r.witnesses.keys.length}${r.witnesses.keys.length === 0 ? '' : ` (${r.witnesses.keys.map(witnessName).join(', ')})`}`,
      ...(r.frozen ? ['FROZEN'] : []),
      ...(monitors.length === 0 ? [] : [`monitors ${monitors.join(', ')}`]),
    ]
  } else {
    changes = describeRootChanges(prev, r)
    const before = monitorsOf(prev)
    for (const m of monitors) if (!before.includes(m)) changes.push(`monitor added: ${m}`)
    for (const m of before) if (!monitors.includes(m)) changes.push(`monitor removed: ${m}`)
    if (changes.length === 0) changes.push('no change but the version and dates')
  }
  return {
    time: now,
    kind: 'root',
    summary: visible(`root v${r.version} (${next.fingerprint.slice(0, 16)}…) at entry ${index}: ${changes.join('; ')}`),
    details: {
      index,
      version: r.version,
      fingerprint: next.fingerprint,
      admins: r.admins.map((a) => ({ name: a.name, id: a.id })),
      thresholds: { ...r.thresholds },
      witnesses: { quorum: r.witnesses.quorum, keys: [...r.witnesses.keys] },
      frozen: r.frozen,
      monitors,
      changes,
    },
  }
}

/** The monitor endpoints a root names (where agents also send their reports). */
function monitorsOf(root: Root): string[] {
  return [...root.monitors]
}

function commandEvents(index: number, env: dsse.Envelope, current: SignedRoot, state: MonitorState, ctx: EntryContext, bad: (m: string) => void): MonitorEvent[] {
  const root = current.root
  let payload: CommandPayload
  let signedBy: readonly string[]
  try {
    payload = parseCommandPayload(env.payload)
    if (payload.org !== ctx.org) throw new Error(`it is for org ${JSON.stringify(payload.org)}`)
    signedBy = dsse.verifyEnvelope(env, {
      payloadType: COMMAND_PAYLOAD_TYPE,
      keys: root.admins.map((a) => ({ keyid: a.id, publicKey: a.publicKey })),
      threshold: root.thresholds.command,
    }).signedBy
  } catch (e) {
    bad(`a command that does not verify under root v${root.version}: ${why(e)}`)
    return []
  }
  const names = signedBy.map((id) => root.admins.find((a) => a.id === id)?.name ?? id)
  const t = payload.targets
  const ids = t.kind === 'devices' ? t.ids : t.kind === 'merkle' ? ctx.fleet?.listedTargets.get(payload.id) : undefined
  const count = t.kind === 'devices' ? t.ids.length : t.kind === 'merkle' ? t.count : undefined
  const label = (id: string): string => {
    const host = ctx.fleet?.hostnames.get(id)
    return host === undefined ? id : `${id} (${host})`
  }
  const shown = ids === undefined ? '' : `: ${ids.slice(0, SHOWN_TARGETS).map(label).join(', ')}${ids.length > SHOWN_TARGETS ? `, … ${ids.length - SHOWN_TARGETS} more` : ''}`
  const targets = t.kind === 'all' ? 'ALL devices' : `${count} device${count === 1 ? '' : 's'}${t.kind === 'merkle' ? ' (Merkle-committed' + (ids === undefined ? '' : ', as the server lists them') + ')' : ''}${shown}`
  const iso = (s: number): string => new Date(s * 1000).toISOString()
  const firstLine = payload.script.split('\n', 1)[0]!.slice(0, 200)
  const out: MonitorEvent[] = [
    {
      time: ctx.now,
      kind: 'command',
      summary: visible(
        `command ${payload.id} at entry ${index} signed by ${names.join(', ')} (${root.thresholds.command} required, root v${root.version}) → ${targets}; ` +
          `valid ${iso(payload.notBefore)} to ${iso(payload.notAfter)}; ${payload.interpreter} as ${payload.runAs}: ${firstLine}`,
      ),
      details: {
        index,
        id: payload.id,
        signers: names,
        keyIds: [...signedBy],
        threshold: root.thresholds.command,
        rootVersion: root.version,
        targets: {
          kind: t.kind,
          ...(count === undefined ? {} : { count }),
          ...(ids === undefined ? {} : { devices: ids.map((id): JsonValue => ({ id, hostname: ctx.fleet?.hostnames.get(id) ?? null })) }),
        },
        notBefore: payload.notBefore,
        notAfter: payload.notAfter,
        interpreter: payload.interpreter,
        runAs: payload.runAs,
        firstLine,
      },
    },
  ]
  for (const [i, id] of signedBy.entries()) {
    if (state.signers.includes(id)) continue
    state.signers.push(id)
    out.push(anomaly(ctx.now, 'MON_NEW_SIGNER', `${names[i]} (key id ${id}) signed a command for the first time: ${payload.id} at entry ${index}`, { index, id: payload.id, keyId: id, signer: names[i]! }))
  }
  const fleet = ctx.fleet
  if (count !== undefined && fleet !== undefined && fleet.count >= FEW_TARGETS_MIN_FLEET && count < ctx.smallTargetFraction * fleet.count) {
    out.push(
      anomaly(
        ctx.now,
        'MON_FEW_TARGETS',
        `command ${payload.id} targets ${count} of ${fleet.count} devices (the server's device count), under ${ctx.smallTargetFraction * 100}%${shown}`,
        { index, id: payload.id, targets: count, devices: fleet.count, deviceCountFrom: 'server' },
      ),
    )
  }
  return out
}
