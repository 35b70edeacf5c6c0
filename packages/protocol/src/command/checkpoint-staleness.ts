/**
 * Is this device's view of the log too old? A breached server can refuse
 * service (DESIGN.md), but it must not be able to do so silently: a server
 * that withholds every new checkpoint (to hide a freeze, or to keep a device
 * on a fork) stops the cosigned-at time in the trust state from advancing,
 * and once it is older than the root's `checkpointMaxAgeSeconds` the device
 * raises AGENT_CHECKPOINT_STALE through paths that do not need the server.
 *
 * Pure: `now` comes in; the device's clock is trusted (a device whose clock
 * runs fast raises a false alarm, never a missed one).
 */
import { currentRoot, type TrustState } from './trust-state.js'

/** How stale the device's freshest checkpoint is. */
export interface CheckpointStaleness {
  /** The device's newest cosigned-at time (unix seconds), or null when it never saw one. */
  readonly cosignedAt: number | null
  /** The root's checkpointMaxAgeSeconds. */
  readonly maxAge: number
  /** Seconds since cosignedAt (or since `unknownSince` when cosignedAt is unknown). */
  readonly ageSeconds: number
}

/**
 * Null while the freshest checkpoint is at most `checkpointMaxAgeSeconds`
 * old, or when the root in force sets no such bound; otherwise how stale it
 * is. A device that never saw a checkpoint (or whose state predates
 * freshness tracking) measures from `unknownSince` (unix seconds; the shell
 * passes when it started watching), and is never stale without it.
 *
 * @example
 * const stale = checkpointStaleness(state, Math.floor(Date.now() / 1000), agentStartedAt)
 * if (stale !== null) raiseAlert('AGENT_CHECKPOINT_STALE', stale)
 */
export function checkpointStaleness(state: TrustState, now: number, unknownSince?: number): CheckpointStaleness | null {
  const maxAge = currentRoot(state).root.checkpointMaxAgeSeconds
  if (maxAge === null) return null
  const from = state.cosignedAt ?? unknownSince
  if (from === undefined) return null
  const ageSeconds = now - from
  if (!(ageSeconds > maxAge)) return null
  return Object.freeze({ cosignedAt: state.cosignedAt, maxAge, ageSeconds })
}
