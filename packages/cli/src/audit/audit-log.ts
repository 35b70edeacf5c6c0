/**
 * `palisade log audit`, the pure part: given everything the server served
 * (entries, checkpoints, roots) and the root fingerprint pinned on this
 * machine, decide whether the log is one the org's keys and witnesses
 * vouch for (DESIGN.md G2, G3, G4). Nothing the server says is believed:
 *
 * 1. entry 0 is root v1 with the pinned fingerprint, self-signed by its
 *    root threshold; each later root entry is the next version, signed by
 *    the root thresholds of the old and the new version;
 * 2. each command entry carries the command threshold of distinct admin
 *    signatures of the root in force at that point, for this org;
 * 3. each checkpoint is signed by the log key and cosigned by the witness
 *    quorum of a root in force, sizes never go down, and each root hash is
 *    the Merkle root of the first `size` entries (so the checkpoints are
 *    consistent with each other);
 * 4. the latest checkpoint covers every entry;
 * 5. the roots the server serves (`GET …/roots`) are the log's roots.
 *
 * Synchronous and deterministic: time is a parameter. Every failure is a
 * finding; the report is "ok" only when there are none.
 */
import { equalBytes, dsse, type Root } from '@palisade/protocol'
import { auditCheckpoints, type AuditCheckpoint } from './audit-checkpoints.js'
import { auditEntries, reason, type AuditEntry } from './audit-entries.js'
import { FindingList, type AuditFinding } from './findings.js'

/** Everything downloaded, and the one thing trusted. */
export interface AuditInput {
  readonly org: string
  /** The pinned fingerprint of root v1 (64 hex digits). */
  readonly fingerprint: string
  readonly entries: readonly AuditEntry[]
  /** Every published checkpoint, in the order the server listed them. */
  readonly checkpoints: readonly { readonly size: number; readonly note: string }[]
  /** The note the server calls its latest checkpoint, if fetched. */
  readonly latest?: string
  /** The root envelopes the server serves, v1 first, if fetched. */
  readonly roots?: readonly string[]
  /** Unix seconds, for the expiry warning. */
  readonly now: number
}

/** The outcome. */
export interface AuditReport {
  readonly ok: boolean
  readonly org: string
  readonly fingerprint: string
  readonly entries: number
  readonly commands: number
  /** Root versions in the log that verified. */
  readonly roots: number
  /** The newest verified root version, or null when the anchor failed. */
  readonly rootVersion: number | null
  /** Checkpoints served, and how many verified. */
  readonly checkpoints: number
  readonly checkpointsVerified: number
  readonly latestSize: number | null
  /** Witnesses (by name) that cosigned verified checkpoints, and how many. */
  readonly witnesses: readonly { readonly name: string; readonly cosigned: number }[]
  readonly findings: readonly AuditFinding[]
  /** Findings beyond the kept ones. */
  readonly findingsDropped: number
  /** Not failures, but worth knowing (an expired or frozen root). */
  readonly warnings: readonly string[]
}

/**
 * Audits a downloaded log.
 *
 * @example
 * const report = auditLog({ org: 'acme', fingerprint: pin, entries, checkpoints, now: Math.floor(Date.now() / 1000) })
 * if (!report.ok) for (const f of report.findings) console.log(f.code, f.message)
 */
export function auditLog(input: AuditInput): AuditReport {
  const findings = new FindingList()
  const warnings: string[] = []
  const walk = auditEntries(input.entries, input.org, input.fingerprint, findings)

  const listed: AuditCheckpoint[] = input.checkpoints.map((c) => ({ size: c.size, note: c.note }))
  if (input.latest !== undefined && !input.checkpoints.some((c) => c.note === input.latest)) {
    listed.push({ size: undefined, note: input.latest })
  }
  let cps = { verified: 0, latestSize: null as number | null, witnesses: new Map<string, number>() as ReadonlyMap<string, number> }
  if (walk.roots.length > 0) {
    cps = auditCheckpoints(listed, input.entries, walk.roots, findings)
    if (listed.length === 0) {
      findings.add({ code: 'AUDIT_NO_CHECKPOINT', message: 'the server published no checkpoint' })
    } else if (cps.latestSize === null) {
      findings.add({ code: 'AUDIT_NO_CHECKPOINT', message: 'none of the checkpoints the server published verifies' })
    } else if (cps.latestSize < input.entries.length) {
      findings.add({
        code: 'AUDIT_UNCOVERED',
        message: `entries ${cps.latestSize} to ${input.entries.length - 1} are not covered by any cosigned checkpoint (the latest has size ${cps.latestSize})`,
        index: cps.latestSize,
      })
    }
    if (input.roots !== undefined) compareRoots(input.roots, walk.rootPayloads, findings)
    const current: Root = walk.roots[walk.roots.length - 1]!.signed.root
    if (input.now >= current.expiresAt) warnings.push(`root v${current.version} expired at ${new Date(current.expiresAt * 1000).toISOString()}: devices refuse every command until a new version is logged`)
    if (current.frozen) warnings.push(`root v${current.version} freezes all commands`)
  }

  const current = walk.roots.at(-1)?.signed.root
  return Object.freeze({
    ok: findings.count === 0,
    org: input.org,
    fingerprint: input.fingerprint,
    entries: input.entries.length,
    commands: walk.commands,
    roots: walk.roots.length,
    rootVersion: current?.version ?? null,
    checkpoints: listed.length,
    checkpointsVerified: cps.verified,
    latestSize: cps.latestSize,
    witnesses: [...cps.witnesses].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, cosigned]) => ({ name, cosigned })),
    findings: Object.freeze([...findings.items]),
    findingsDropped: findings.dropped,
    warnings: Object.freeze(warnings),
  })
}

/** The served roots must be the log's verified roots, version by version. */
function compareRoots(served: readonly string[], logged: readonly Uint8Array[], findings: FindingList): void {
  if (served.length !== logged.length) {
    findings.add({ code: 'AUDIT_ROOTS_MISMATCH', message: `the server serves ${served.length} root version(s) but its log holds ${logged.length} valid one(s)` })
  }
  const n = Math.min(served.length, logged.length)
  for (let i = 0; i < n; i++) {
    let payload: Uint8Array
    try {
      payload = dsse.parseEnvelope(served[i]!).payload
    } catch (e) {
      findings.add({ code: 'AUDIT_ROOTS_MISMATCH', message: `served root ${i + 1} is not an envelope: ${reason(e)}` })
      continue
    }
    if (!equalBytes(payload, logged[i]!)) {
      findings.add({ code: 'AUDIT_ROOTS_MISMATCH', message: `served root ${i + 1} is not the root version ${i + 1} in the log` })
    }
  }
}
