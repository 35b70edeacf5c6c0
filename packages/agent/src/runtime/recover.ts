/**
 * Crash recovery: what the agent does at start with commands a previous
 * run accepted but never reported.
 *
 * The order the runtime follows for every accepted command is
 *
 *     1. write running/<id>.json          (intent)
 *     2. persist the next trust state     (the "started" mark: id ∈ executed)
 *     3. run the script
 *     4. spool the signed result
 *     5. delete running/<id>.json
 *
 * so a marker left behind tells exactly where a crash fell:
 *
 * - a result for the id is spooled  → the crash fell between 4 and 5: the
 *   marker is stale; delete it (the spooled result is sent as usual);
 * - the id is not in `executed`     → between 1 and 2: nothing ran and the
 *   device never promised anything; delete the marker, and the server's
 *   redelivery will be verified and run normally;
 * - the id is in `executed`         → between 2 and 4: the script may not
 *   have started, may have run in part, or may have finished, and its
 *   output is lost. It is NOT run again (a crash never runs a command
 *   twice). The agent signs and spools a result that says so.
 *
 * That last result uses status `timed-out`, exitCode null, signal null,
 * and an stderr that begins "palisade-agent: interrupted:" and explains.
 * Why `timed-out`: the result schema (protocol) knows only completed,
 * timed-out and failed-to-start. `failed-to-start` would claim that
 * nothing ran, the one claim that could be false in the dangerous
 * direction (an admin would re-issue a command that may have run).
 * `timed-out` says "it ran and was cut off before it finished", which is
 * what happens under the systemd unit (the service's processes are stopped
 * with it), and it never claims success. exitCode and signal are both
 * null, which no real timeout produces, so the case stays recognisable.
 */
import type { CommandResult, TrustState } from '@palisade/protocol'
import type { Spool } from '../report/spool.js'
import type { ReportSigner } from '../report/report-signer.js'
import type { AgentLogger } from './logger.js'
import { listRunMarkers, removeRunMarker, type RunMarker } from './run-markers.js'

/** The first words of the stderr of an interrupted command's result. */
export const INTERRUPTED_PREFIX = 'palisade-agent: interrupted:'

/** What recovery needs. */
export interface RecoveryContext {
  readonly runningDir: string
  readonly spool: Spool
  readonly trust: TrustState
  readonly signer: ReportSigner
  readonly deviceId: string
  readonly org: string
  readonly logger: AgentLogger
}

/**
 * Settles every marker left by an earlier run; returns the ids reported as interrupted.
 *
 * @example
 * await recoverInterrupted({ runningDir, spool, trust, signer, deviceId, org, logger })
 */
export async function recoverInterrupted(ctx: RecoveryContext): Promise<string[]> {
  const interrupted: string[] = []
  for (const marker of await listRunMarkers(ctx.runningDir)) {
    const id = marker.commandId
    if (ctx.spool.has('result', id)) {
      ctx.logger.log('info', 'removing a stale run marker: the result is spooled', { commandId: id })
    } else if (!Object.hasOwn(ctx.trust.executed, id)) {
      ctx.logger.log('info', 'removing a run marker of a command that never started; the server will redeliver it', { commandId: id })
    } else {
      const envelope = await ctx.signer.sign(interruptedResult(marker, ctx.deviceId, ctx.org, Date.now()))
      await ctx.spool.add('result', id, envelope)
      interrupted.push(id)
      ctx.logger.log('warn', 'a command was interrupted by an agent stop or crash; it will not run again; reporting its outcome as unknown', {
        commandId: id,
      })
    }
    await removeRunMarker(ctx.runningDir, id)
  }
  return interrupted
}

/** The result reported for a command whose run an agent stop or crash cut off. */
export function interruptedResult(marker: RunMarker, deviceId: string, org: string, now: number): CommandResult {
  return Object.freeze({
    type: 'palisade.result/v1',
    org,
    commandId: marker.commandId,
    deviceId,
    status: 'timed-out',
    exitCode: null,
    signal: null,
    stdout: '',
    stderr:
      `${INTERRUPTED_PREFIX} the agent stopped (crash, kill or power loss) after accepting this command at ` +
      `${new Date(marker.startedAt).toISOString()} and before recording its result. The script may not have started, ` +
      'may have run in part, or may have finished; its output is lost. It is recorded as executed on this device and ' +
      'will not run again. Check the machine before issuing it again.\n',
    stdoutTruncated: false,
    stderrTruncated: false,
    startedAt: marker.startedAt,
    finishedAt: Math.max(marker.startedAt, now),
  })
}
