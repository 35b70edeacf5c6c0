/**
 * Signals for a whole process group.
 *
 * A script is started with `detached: true`, so setsid(2) makes it the leader
 * of a new session and process group whose id equals its pid. Everything it
 * forks (`sleep 1000 &`, pipelines, subshells) stays in that group unless it
 * deliberately calls setsid itself, so signalling the negative pgid reaches
 * the children that signalling the leader alone would leave running.
 */
/**
 * Sends `signal` to every process in group `pgid`. Returns false when the
 * group no longer exists (ESRCH), true when the signal was delivered.
 *
 * @example
 * signalGroup(child.pid, 'SIGTERM')
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  // pgid 0 or 1 would mean "my own group" / "every process": never send those.
  if (!Number.isSafeInteger(pgid) || pgid <= 1) return false
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    // ESRCH: the group is empty. EPERM: a member changed identity (a setuid
    // binary run as a non-root agent); nothing more this process can do.
    return false
  }
}

/** True while at least one process is still in group `pgid`. */
export function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0)
}

/**
 * Terminates group `pgid`: SIGTERM now, SIGKILL after `graceMs` if anything
 * is still in the group. Returns a function that cancels the pending SIGKILL
 * (call it once the group is known to be empty, so a recycled pgid is never
 * signalled).
 */
export function terminateGroup(pgid: number, graceMs: number): () => void {
  if (!signalGroup(pgid, 'SIGTERM')) return () => undefined
  const timer = setTimeout(() => {
    if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL')
  }, graceMs)
  // The agent may be shutting down; a pending escalation must not hold it open.
  timer.unref()
  return () => clearTimeout(timer)
}
