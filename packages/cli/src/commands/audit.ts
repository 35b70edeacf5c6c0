/**
 * `palisade audit export`: the org's timeline of actions, for responders.
 *
 *     palisade audit export --since <time> [--until <time>] [--actor <id|name>]
 *       [--action <action|prefix.*>] [--result success|failure|denied]
 *       --format jsonl|json|csv [--out <file>] [--include-log [--fingerprint <fp>]]
 *       [--page-size <n>]
 *
 * One line per action: who (actor type, id, name), what (action, target),
 * when (ISO 8601 UTC), from which address, the result, the request id, and
 * the devices it concerns. Oldest first. `--since` is inclusive, `--until`
 * exclusive; each takes a date (midnight UTC), an ISO 8601 time with a
 * zone, a duration back from now (`7d`, `12h`) or `now`.
 *
 * The audit trail is the server's record (permission `audit:read`); on the
 * day of a breach it is evidence to weigh, not proof. `--include-log` adds
 * what is proof: every command and root version of the transparency log
 * (signers by name), verified from the pinned root like `palisade log
 * audit`; a log that fails that audit stops the export (CLI_AUDIT_FAILED).
 *
 * Without --out the timeline goes to stdout as it is produced (so `--json`
 * changes only how errors look); with --out it is written to a new file
 * atomically (never replacing one) and a summary is printed.
 */
import { Option, type Command } from 'commander'
import { integerOption } from '../args/duration.js'
import { parseTimeBound } from '../args/time-bound.js'
import { auditLog } from '../audit/audit-log.js'
import type { CliContext, Invocation } from '../context.js'
import { CliError, ioError } from '../errors.js'
import { auditTimeline, AUDIT_PAGE_SIZE } from '../export/audit-timeline.js'
import { logTimeline } from '../export/log-timeline.js'
import { timelineChunks, writeChunks, type TimelineCount } from '../export/timeline-chunks.js'
import { FORMATS, timelineFormatter, type Format } from '../export/timeline-format.js'
import type { TimelineLine } from '../export/timeline-format.js'
import { openOrgSession, type OrgSession } from '../http/session.js'
import { writeFileAtomic } from '../io/atomic-file.js'
import { formatFields } from '../io/output.js'
import { parseFingerprint, requirePin } from '../trust/pins.js'
import { quote } from '../validate.js'
import { download } from './log.js'
import { resolve } from 'node:path'

interface ExportOptions {
  since: string
  until?: string
  actor?: string
  action?: string
  result?: string
  format: Format
  out?: string
  includeLog?: boolean
  fingerprint?: string
  pageSize: number
}

/** The action filter the server accepts (an action, or a prefix ending in `.*`). */
const ACTION_RE = /^[a-z][a-z0-9.-]*(\.\*)?$/
const ACTOR_RE = /^[^\p{Cc}]{1,200}$/u

/** Registers `palisade audit` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description("the org's audit trail: who did what, when, from where")

  audit
    .command('export')
    .description('export a timeline of every action (oldest first) for incident responders')
    .requiredOption('--since <time>', 'start, inclusive: 2023-06-27, 2023-06-27T14:05:00Z, 7d, 12h')
    .option('--until <time>', 'end, exclusive (default: now)')
    .option('--actor <id|name>', 'only actions of this actor (admin or key id, or name)', parseActor)
    .option('--action <action>', 'only this action (e.g. command.sign) or prefix (e.g. session.*)', parseAction)
    .addOption(new Option('--result <result>', 'only actions with this result').choices(['success', 'failure', 'denied']))
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).makeOptionMandatory())
    .option('--out <file>', 'write to this new file, atomically (never replaces a file)')
    .option('--include-log', "also list the transparency log's signed commands and roots, verified from the pinned root")
    .option('--fingerprint <fp>', 'with --include-log: verify from this root fingerprint instead of the pinned one', parseFingerprint)
    .option('--page-size <n>', `events per request (1 to 1000, default ${AUDIT_PAGE_SIZE})`, integerOption('--page-size', 1, 1000), AUDIT_PAGE_SIZE)
    .action(async (opts: ExportOptions, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const now = Date.now()
      const since = parseTimeBound(opts.since, now, '--since')
      const until = opts.until === undefined ? undefined : parseTimeBound(opts.until, now, '--until')
      if (until !== undefined && until <= since) {
        throw new CliError('CLI_ARG_INVALID', `invalid --until ${quote(opts.until!)}: it must be later than --since (${new Date(since).toISOString()})`)
      }
      const filter = {
        since,
        ...(until === undefined ? {} : { until }),
        ...(opts.actor === undefined ? {} : { actor: opts.actor }),
        ...(opts.action === undefined ? {} : { action: opts.action }),
        ...(opts.result === undefined ? {} : { result: opts.result }),
      }
      const session = await openOrgSession(inv)
      const logLines = opts.includeLog === true ? await verifiedLogLines(inv, session, filter, opts.fingerprint) : []
      const count: TimelineCount = { audit: 0, log: 0 }
      const progress = { onPage: (n: number) => inv.out.note(`fetched ${n} audit events…`) }
      const chunks = timelineChunks(auditTimeline(session, filter, opts.pageSize, progress), logLines, timelineFormatter(opts.format), count)
      if (opts.out === undefined) {
        await writeChunks(ctx.deps.stdout, chunks)
        inv.out.note(`exported ${count.audit} audit events${opts.includeLog === true ? ` and ${count.log} log entries` : ''}, oldest first`)
        return
      }
      const out = resolve(opts.out)
      try {
        await writeFileAtomic(out, chunks, { overwrite: false, mode: 0o600 })
      } catch (e) {
        if (e instanceof CliError) throw e
        if ((e as { code?: unknown }).code === 'EEXIST') {
          throw new CliError('CLI_IO', `${out} already exists; an export never replaces a file`, { hint: 'choose another --out, or move the file away' })
        }
        throw ioError('write', out, e)
      }
      const summary = {
        out,
        format: opts.format,
        since: new Date(since).toISOString(),
        until: until === undefined ? null : new Date(until).toISOString(),
        auditEvents: count.audit,
        logEntries: opts.includeLog === true ? count.log : null,
      }
      inv.out.result(summary, () =>
        `Wrote the timeline to ${out} (oldest first).\n\n` +
        formatFields([
          ['format', opts.format],
          ['since', summary.since],
          ['until', summary.until ?? 'now'],
          ['audit events', String(count.audit)],
          ...(opts.includeLog === true ? [['log entries', String(count.log)] as [string, string]] : []),
        ]),
      )
    })
}

/** The log's signed actions in the window, once the whole log passed the audit. */
async function verifiedLogLines(
  inv: Invocation,
  session: OrgSession,
  filter: Parameters<typeof logTimeline>[3],
  fingerprintOption: string | undefined,
): Promise<TimelineLine[]> {
  const fingerprint = await requirePin(inv.home, session.org, fingerprintOption)
  const data = await download(session, (n) => inv.out.note(`downloaded ${n} log entries…`))
  const report = auditLog({ org: session.org, fingerprint, ...data, now: Math.floor(Date.now() / 1000) })
  if (!report.ok) {
    const n = report.findings.length + report.findingsDropped
    throw new CliError('CLI_AUDIT_FAILED', `the log of org "${session.org}" failed the audit (${n} failure${n === 1 ? '' : 's'}, first ${report.findings[0]?.code ?? '?'}); nothing exported`, {
      server: session.server,
      hint: 'run `palisade log audit` to see every failure; export without --include-log to get the server\'s audit trail alone',
      details: { failures: n, first: report.findings[0]?.code ?? '' },
    })
  }
  return logTimeline(data.entries, session.org, fingerprint, filter)
}

function parseActor(value: string): string {
  if (!ACTOR_RE.test(value)) throw new CliError('CLI_ARG_INVALID', `invalid --actor ${quote(value)}: give an id or a name of 1 to 200 characters`)
  return value
}

function parseAction(value: string): string {
  if (value.length > 100 || !ACTION_RE.test(value)) {
    throw new CliError('CLI_ARG_INVALID', `invalid --action ${quote(value)}: give an action such as command.sign, or a prefix such as session.*`)
  }
  return value
}
