/**
 * The first checks of a monitor round, on what the server serves: its root
 * chain must verify from the pinned fingerprint version by version, and
 * its latest checkpoint must be signed by the log key and cosigned by the
 * witness quorum of the root its root line names, a root the server serves.
 *
 * Pure: nothing here fetches or reads a clock (the caller passes `now`). Expiry is not judged (an
 * expired newest root still names the keys that signed the log so far);
 * devices judge it. Trusts only the pinned fingerprint.
 */
import {
  checkpoint,
  checkpointRootLine,
  CLOCK_SKEW_SECONDS,
  cosignature,
  isProtocolError,
  note,
  verifyAnchorRoot,
  verifyRootUpdate,
  type RootLine,
  type SignedRoot,
} from '@palisade/protocol'
import type { MonitorAnomalyCode } from './anomaly-codes.js'

/** A check that failed, as the anomaly it is. */
export interface Failure {
  readonly ok: false
  readonly code: MonitorAnomalyCode
  readonly message: string
}

/**
 * Verifies the served roots from the pin: every version, in order.
 *
 * @example
 * const r = verifyServedRoots(pin, await getRoots(session))
 * if (r.ok) current = r.chain.at(-1)
 */
export function verifyServedRoots(pinned: string, roots: readonly string[]): { readonly ok: true; readonly chain: readonly SignedRoot[] } | Failure {
  if (roots.length === 0) return { ok: false, code: 'MON_BAD_SIGNATURE', message: 'the server serves no root' }
  const chain: SignedRoot[] = []
  try {
    chain.push(verifyAnchorRoot(roots[0]!, pinned))
    for (const e of roots.slice(1)) chain.push(verifyRootUpdate(chain[chain.length - 1]!, e))
  } catch (e) {
    return { ok: false, code: 'MON_BAD_SIGNATURE', message: `served root v${chain.length + 1} does not verify from the pinned root: ${why(e)}` }
  }
  return { ok: true, chain }
}

/** A checkpoint that verified. */
export interface VerifiedCheckpoint {
  readonly ok: true
  readonly checkpoint: checkpoint.Checkpoint
  readonly note: string
  readonly rootLine: RootLine
  /** The root it was verified under (the one its root line names). */
  readonly root: SignedRoot
  /** Names of the witnesses whose cosignatures verified. */
  readonly witnesses: readonly string[]
  /**
   * When the witness quorum last vouched for the log (Unix seconds), 0 if
   * unknown: protocol's cosignedAtAsOf, the devices' rule, so witnesses
   * count by public key and a time past now + CLOCK_SKEW_SECONDS does not
   * count at all (one witness with a far-future clock cannot silence MON_STALE).
   */
  readonly cosignedAt: number
}

/**
 * Opens the server's checkpoint under the root its root line names:
 * MON_ROOT_STALE when that root is not in the served chain (or has another
 * fingerprint), MON_BAD_SIGNATURE when the log signature or the witness
 * quorum fails.
 *
 * @example
 * const cp = openServedCheckpoint(noteText, chain, Math.floor(Date.now() / 1000))
 */
export function openServedCheckpoint(text: string, chain: readonly SignedRoot[], nowSeconds: number): VerifiedCheckpoint | Failure {
  let line: RootLine
  try {
    // parsed before any signature check: only used to pick the policy
    line = checkpointRootLine(checkpoint.parse(note.parse(text).text).extensions)
  } catch (e) {
    return { ok: false, code: 'MON_BAD_SIGNATURE', message: `the checkpoint is malformed: ${why(e)}` }
  }
  const named = chain[line.version - 1]
  if (named === undefined || named.fingerprint !== line.fingerprint) {
    return {
      ok: false,
      code: 'MON_ROOT_STALE',
      message: `the checkpoint names root v${line.version} ${line.fingerprint.slice(0, 16)}…, which the server does not serve (it serves v1..v${chain.length})`,
    }
  }
  try {
    const p = policy(named)
    const opened = checkpoint.openCosignedCheckpoint(text, p)
    return {
      ok: true,
      checkpoint: opened.checkpoint,
      note: text,
      rootLine: line,
      root: named,
      witnesses: [...new Set(opened.cosignatures.map((c) => c.name))],
      cosignedAt: checkpoint.cosignedAtAsOf(opened.cosignatures, p.witnesses, p.quorum, nowSeconds, CLOCK_SKEW_SECONDS) ?? 0,
    }
  } catch (e) {
    return { ok: false, code: 'MON_BAD_SIGNATURE', message: `the checkpoint does not verify under root v${named.root.version}: ${why(e)}` }
  }
}

/**
 * Opens a checkpoint a witness served under `root`'s log key and witness
 * keys, needing only one cosignature (the witness's own); undefined when it
 * does not verify.
 */
export function openWitnessCheckpoint(text: string, root: SignedRoot): checkpoint.CosignedCheckpoint | undefined {
  try {
    return checkpoint.openCosignedCheckpoint(text, { ...policy(root), quorum: Math.min(1, root.root.witnesses.keys.length) })
  } catch {
    return undefined
  }
}

function policy(r: SignedRoot): checkpoint.CosignedCheckpointPolicy {
  return {
    origin: r.root.log.origin,
    logVerifier: note.verifierFromString(r.root.log.key),
    witnesses: r.root.witnesses.keys.map((k) => cosignature.witnessVerifierFromString(k)),
    quorum: r.root.witnesses.quorum,
  }
}

/** The reason of an error, with its protocol code. */
export function why(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e)
  return isProtocolError(e) ? `${e.code}: ${message}` : message
}
