/**
 * `palisade monitor`: run by the org, outside the server, it follows the
 * org's transparency log and its witnesses, and prints every new signed
 * action (root versions, commands with their signers) and every anomaly
 * (monitor/anomaly-codes.ts), verifying everything from the pinned root.
 *
 *     palisade monitor [--org <id>] [--fingerprint <fp>] [--witness-url <url>]…
 *                      [--listen <host:port>] [--state <file>] [--interval 30s]
 *                      [--once] [--small-target-fraction 0.1] [--stale-after <duration>]
 *
 * The server and API key come from the config (`palisade login`), like
 * every org command; a read-only key is enough. Output: one line per event
 * (`<time>  <code or kind>  <summary>`), or with --json one JSON object per
 * line (not one document: the monitor streams). Exit status with --once:
 * 0 when the round saw no anomaly, 3 (CLI_MONITOR_ANOMALIES) when it saw
 * any, 1 when it could not run. Without --once it runs until SIGINT or
 * SIGTERM, retrying after errors, and saves its state before it exits.
 */
import { join } from 'node:path'
import { Option, type Command } from 'commander'
import { durationOption } from '../args/duration.js'
import type { CliContext } from '../context.js'
import { CliError, isCliError } from '../errors.js'
import { openOrgSession } from '../http/session.js'
import { printable } from '../io/output.js'
import { Monitor } from '../monitor/monitor-round.js'
import { formatEvent, type MonitorEvent } from '../monitor/monitor-event.js'
import { loadState, saveState } from '../monitor/monitor-state.js'
import { startReportListener, type ReportListener } from '../monitor/report-listener.js'
import { parseFingerprint, requirePin } from '../trust/pins.js'
import { parseServerUrl, quote } from '../validate.js'

interface MonitorOpts {
  org?: string
  fingerprint?: string
  witnessUrl: string[]
  listen?: string
  state?: string
  interval: number
  once?: boolean
  smallTargetFraction: number
  staleAfter?: number
}

/** Registers `palisade monitor`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('monitor')
    .description("follow the org's log and witnesses from outside the server: print every signed action and every anomaly")
    .option('--org <id>', 'the org to follow (must be the org of the configured API key)')
    .option('--fingerprint <fp>', 'verify from this root v1 fingerprint instead of the pinned one', parseFingerprint)
    .option('--witness-url <url>', 'a witness to read reports and checkpoints from (repeatable)', collectUrl, [] as string[])
    .option('--listen <host:port>', 'also accept device reports on POST /palisade/v1/reports (a monitor endpoint a root can name)')
    .option('--state <file>', 'where to remember what was seen (default: <home>/monitor-<org>.json)')
    .addOption(new Option('--interval <duration>', 'time between rounds').argParser(durationOption('--interval', 1, 86400)).default(30, '30s'))
    .option('--once', 'run one round and exit: 0 without anomalies, 3 with any')
    .addOption(new Option('--small-target-fraction <f>', 'flag commands targeting less than this fraction of ≥ 10 devices').argParser(parseFraction).default(0.1))
    .addOption(new Option('--stale-after <duration>', 'flag a log with no new cosignature for this long').argParser(durationOption('--stale-after', 1, 366 * 86400)))
    .action(async (opts: MonitorOpts, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const session = await openOrgSession(inv)
      if (opts.org !== undefined && opts.org !== session.org) {
        throw new CliError('CLI_LOGIN_REQUIRED', `the configured API key is for org ${quote(session.org)}, not ${quote(opts.org)}`, {
          hint: `log in to org ${quote(opts.org)} with \`palisade login\` (a read-only key is enough), or use another --home`,
        })
      }
      const pinned = await requirePin(inv.home, session.org, opts.fingerprint)
      const statePath = opts.state ?? join(inv.home, `monitor-${session.org}.json`)
      const state = await loadState(statePath, { org: session.org, server: session.server, fingerprint: pinned })
      const monitor = new Monitor(
        { session, pinned, witnessUrls: opts.witnessUrl, smallTargetFraction: opts.smallTargetFraction, staleAfter: opts.staleAfter },
        state,
      )
      const print = (e: MonitorEvent): void => void ctx.deps.stdout.write(formatEvent(e, inv.json))

      if (opts.once === true) {
        const events = await monitor.round()
        events.forEach(print)
        await saveState(statePath, state)
        const anomalies = events.filter((e) => e.kind === 'anomaly').length
        if (anomalies > 0) {
          throw new CliError('CLI_MONITOR_ANOMALIES', `the monitor saw ${anomalies} anomal${anomalies === 1 ? 'y' : 'ies'} in the log of org ${quote(session.org)} at ${session.server}`, {
            server: session.server,
            details: { anomalies },
          })
        }
        return
      }

      const stop = untilSignal()
      let listener: ReportListener | undefined
      try {
        if (opts.listen !== undefined) {
          listener = await startReportListener({
            listen: opts.listen,
            origin: () => monitor.origin,
            onReport: (r, source, seq) => void monitor.reportEvents(r, `listen ${source}`, seq).then((es) => es.forEach(print), () => undefined),
          })
          inv.out.note(`accepting device reports at ${listener.url}/palisade/v1/reports`)
        }
        for (;;) {
          try {
            for (const e of await monitor.round()) print(e)
            await saveState(statePath, state)
          } catch (e) {
            if (!isCliError(e) || e.code === 'CLI_IO' || e.code === 'CLI_CONFIG_INVALID' || e.code === 'CLI_HOME_INSECURE') throw e
            print({ time: Date.now(), kind: 'error', summary: `${e.code}: ${printable(e.message)}`, details: { errorCode: e.code } })
          }
          if (await stop.within(opts.interval * 1000)) break
        }
      } finally {
        stop.cancel()
        await listener?.close()
        await saveState(statePath, state)
      }
    })
}

function collectUrl(value: string, previous: string[]): string[] {
  return [...previous, parseServerUrl(value)]
}

function parseFraction(value: string): number {
  const f = Number(value)
  if (!/^(0|1)?(\.\d+)?$/.test(value.trim()) || !(f > 0 && f <= 1)) {
    throw new CliError('CLI_ARG_INVALID', `invalid --small-target-fraction ${quote(value)}: give a fraction above 0 and at most 1, e.g. 0.1`)
  }
  return f
}

/** SIGINT/SIGTERM: `within(ms)` waits up to ms and says whether a signal came. */
function untilSignal(): { within(ms: number): Promise<boolean>; cancel(): void } {
  let signalled = false
  let wake = (): void => undefined
  const on = (): void => {
    signalled = true
    cancel()
    wake()
  }
  // After the first signal the handlers are gone: a second one ends the process at once.
  const cancel = (): void => {
    process.off('SIGINT', on)
    process.off('SIGTERM', on)
  }
  process.on('SIGINT', on)
  process.on('SIGTERM', on)
  return {
    within: (ms) =>
      new Promise<boolean>((resolve) => {
        if (signalled) return resolve(true)
        const t = setTimeout(() => resolve(signalled), ms)
        wake = () => {
          clearTimeout(t)
          resolve(true)
        }
      }),
    cancel,
  }
}
