/**
 * `palisade log audit`: download the org's whole transparency log and
 * verify it without trusting the server (DESIGN.md G4).
 *
 *     palisade log audit [--fingerprint <fp>]
 *
 * The only thing trusted is the root fingerprint pinned on this machine
 * (by `palisade org init` or `palisade login --fingerprint`) or given with
 * --fingerprint. The checks themselves are audit/audit-log.ts; this file
 * only downloads. Exit status 1 when the audit finds any failure.
 */
import type { Command } from 'commander'
import { auditLog } from '../audit/audit-log.js'
import { auditReportJson, formatAuditReport } from '../audit/format-report.js'
import type { CliContext } from '../context.js'
import { CliError, isCliError } from '../errors.js'
import { downloadEntries, getLatestCheckpoint, listCheckpoints, type ListedCheckpoint, type LogEntry } from '../http/log-api.js'
import { getRoots } from '../http/org-api.js'
import { openOrgSession, type OrgSession } from '../http/session.js'
import { parseFingerprint, requirePin } from '../trust/pins.js'

/** How often to look again for a checkpoint covering entries appended during the download. */
const COVER_RETRIES = 3
const COVER_WAIT_MS = 1500

/** Registers `palisade log` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const log = program.command('log').description("the org's transparency log")

  log
    .command('audit')
    .description('download every entry and checkpoint and verify them from the pinned root, trusting nothing the server says')
    .option('--fingerprint <fp>', 'verify from this root fingerprint instead of the pinned one', parseFingerprint)
    .action(async (opts: { fingerprint?: string }, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const session = await openOrgSession(inv)
      const fingerprint = await requirePin(inv.home, session.org, opts.fingerprint)
      const data = await download(session, (n) => inv.out.note(`downloaded ${n} entries…`))
      const report = auditLog({ org: session.org, fingerprint, ...data, now: Math.floor(Date.now() / 1000) })
      inv.out.result(auditReportJson(report), () => formatAuditReport(report))
      if (!report.ok) {
        const n = report.findings.length + report.findingsDropped
        throw new CliError('CLI_AUDIT_FAILED', `the log of org "${session.org}" at ${session.server} failed the audit with ${n} failure${n === 1 ? '' : 's'}`, {
          server: session.server,
          details: { failures: n, first: report.findings[0]?.code ?? '' },
        })
      }
    })
}

export interface Downloaded {
  entries: LogEntry[]
  checkpoints: ListedCheckpoint[]
  latest?: string
  roots: string[]
}

/**
 * Everything the audit needs. The log grows while it downloads: entries a
 * listed checkpoint covers are fetched too, and when entries outrun the
 * checkpoints (one was appended and is being cosigned) the checkpoints are
 * fetched again a few times before the audit calls them uncovered.
 */
export async function download(s: OrgSession, progress: (n: number) => void): Promise<Downloaded> {
  const roots = await getRoots(s)
  const entries = await downloadEntries(s, 0, undefined, progress)
  let checkpoints: ListedCheckpoint[] = []
  let latest: string | undefined
  for (let attempt = 0; ; attempt++) {
    checkpoints = await listCheckpoints(s)
    latest = await latestOrNone(s)
    const listedMax = Math.max(0, ...checkpoints.map((c) => c.size))
    if (listedMax > entries.length && entries.every((e, i) => e.index === i)) {
      entries.push(...(await downloadEntries(s, entries.length, listedMax, progress)))
    }
    if (listedMax >= entries.length || attempt >= COVER_RETRIES) break
    await new Promise((r) => setTimeout(r, COVER_WAIT_MS))
  }
  return { entries, checkpoints, roots, ...(latest === undefined ? {} : { latest }) }
}

async function latestOrNone(s: OrgSession): Promise<string | undefined> {
  try {
    return await getLatestCheckpoint(s)
  } catch (e) {
    // no checkpoint yet is the audit's finding to report, not a download error
    if (isCliError(e, 'CLI_SERVER_REFUSED') && e.details?.['status'] === 404) return undefined
    throw e
  }
}
