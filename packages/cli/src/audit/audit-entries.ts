/**
 * The entry half of the log audit: every entry, in order, must be the
 * pinned root v1 (entry 0), a root version that verifies against the one
 * before it (G3), or a command envelope carrying the command threshold of
 * admin signatures of the root in force at that point (G1, G4). Trusts
 * only the pinned fingerprint; every check is protocol's.
 */
import {
  COMMAND_PAYLOAD_TYPE,
  ROOT_PAYLOAD_TYPE,
  dsse,
  isProtocolError,
  parseCommandPayload,
  verifyAnchorRoot,
  verifyRootUpdate,
  type SignedRoot,
} from '@palisade/protocol'
import type { FindingList } from './findings.js'

/** One downloaded entry: its index as served, the server's label, the leaf bytes. */
export interface AuditEntry {
  readonly index: number
  readonly kind: string
  readonly data: Uint8Array
}

/** A verified root and the index of the entry that logged it. */
export interface RootInForce {
  readonly index: number
  readonly signed: SignedRoot
}

/** What the walk over the entries established. */
export interface EntryWalk {
  /** The verified roots, oldest first; empty when the anchor failed. */
  readonly roots: readonly RootInForce[]
  readonly commands: number
  /** Payloads of the root entries that verified, in log order. */
  readonly rootPayloads: readonly Uint8Array[]
}

/**
 * Walks the entries and adds a finding for each failure. When entry 0 is
 * not the pinned root nothing else can be verified, and the walk stops.
 */
export function auditEntries(entries: readonly AuditEntry[], org: string, fingerprint: string, findings: FindingList): EntryWalk {
  let indexReported = false
  entries.forEach((e, i) => {
    if (e.index !== i && !indexReported) {
      indexReported = true
      findings.add({ code: 'AUDIT_ENTRY_INDEX', message: `the entry at position ${i} was served with index ${e.index}`, index: i })
    }
  })
  if (entries.length === 0) {
    findings.add({ code: 'AUDIT_ANCHOR', message: 'the log is empty: root v1 must be entry 0', index: 0 })
    return { roots: [], commands: 0, rootPayloads: [] }
  }
  let anchor: SignedRoot
  try {
    anchor = verifyAnchorRoot(entries[0]!.data, fingerprint)
  } catch (e) {
    findings.add({ code: 'AUDIT_ANCHOR', message: `entry 0 is not the pinned root v1: ${reason(e)}`, index: 0, ...cause(e) })
    return { roots: [], commands: 0, rootPayloads: [] }
  }
  if (anchor.root.org !== org) {
    findings.add({ code: 'AUDIT_ANCHOR', message: `entry 0 is the root of org "${anchor.root.org}", not "${org}"`, index: 0 })
    return { roots: [], commands: 0, rootPayloads: [] }
  }
  checkLabel(entries[0]!, 0, 'root', findings)

  const roots: RootInForce[] = [{ index: 0, signed: anchor }]
  const rootPayloads: Uint8Array[] = [anchor.envelope.payload]
  let commands = 0
  for (let i = 1; i < entries.length; i++) {
    const entry = entries[i]!
    const current = roots[roots.length - 1]!.signed
    let env: dsse.Envelope
    try {
      env = dsse.parseEnvelope(entry.data)
    } catch (e) {
      findings.add({ code: 'AUDIT_ENTRY_INVALID', message: `entry ${i} is not a DSSE envelope: ${reason(e)}`, index: i, ...cause(e) })
      continue
    }
    if (env.payloadType === ROOT_PAYLOAD_TYPE) {
      checkLabel(entry, i, 'root', findings)
      try {
        const next = verifyRootUpdate(current, env)
        roots.push({ index: i, signed: next })
        rootPayloads.push(next.envelope.payload)
      } catch (e) {
        findings.add({ code: 'AUDIT_ROOT_CHAIN', message: `entry ${i} is not a valid next root after v${current.root.version}: ${reason(e)}`, index: i, ...cause(e) })
      }
    } else if (env.payloadType === COMMAND_PAYLOAD_TYPE) {
      checkLabel(entry, i, 'command', findings)
      commands++
      auditCommand(env, i, current, org, findings)
    } else {
      findings.add({ code: 'AUDIT_ENTRY_INVALID', message: `entry ${i} has the unknown payload type ${JSON.stringify(env.payloadType).slice(0, 100)}`, index: i })
    }
  }
  return { roots, commands, rootPayloads }
}

function auditCommand(env: dsse.Envelope, i: number, current: SignedRoot, org: string, findings: FindingList): void {
  const root = current.root
  let name = `the command at entry ${i}`
  try {
    const payload = parseCommandPayload(env.payload)
    name = `command ${payload.id} (entry ${i})`
    if (payload.org !== org) {
      findings.add({ code: 'AUDIT_ENTRY_INVALID', message: `${name} is for org "${payload.org}", not "${org}"`, index: i })
    }
  } catch (e) {
    findings.add({ code: 'AUDIT_ENTRY_INVALID', message: `${name} is not a valid command payload: ${reason(e)}`, index: i, ...cause(e) })
  }
  try {
    dsse.verifyEnvelope(env, {
      payloadType: COMMAND_PAYLOAD_TYPE,
      keys: root.admins.map((a) => ({ keyid: a.id, publicKey: a.publicKey })),
      threshold: root.thresholds.command,
    })
  } catch (e) {
    const valid = isProtocolError(e, 'PROTO_SIG_THRESHOLD') ? Number(e.details?.['valid'] ?? 0) : 0
    findings.add({
      code: 'AUDIT_COMMAND_SIGNATURES',
      message: `${name} carries valid signatures of ${valid} admin${valid === 1 ? '' : 's'} of root v${root.version}; its command threshold is ${root.thresholds.command}`,
      index: i,
      ...cause(e),
    })
  }
}

function checkLabel(entry: AuditEntry, i: number, actual: string, findings: FindingList): void {
  if (entry.kind !== actual) {
    findings.add({ code: 'AUDIT_ENTRY_INVALID', message: `entry ${i} is a ${actual} but the server labels it ${JSON.stringify(entry.kind).slice(0, 40)}`, index: i })
  }
}

/** The sentence of an error, for a finding. */
export function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** `{ cause: code }` for a protocol error, {} otherwise. */
export function cause(e: unknown): { cause?: string } {
  return isProtocolError(e) ? { cause: e.code } : {}
}
