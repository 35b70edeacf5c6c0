/**
 * `palisade witness …`: run a cosigning witness (c2sp.org/tlog-witness),
 * the service an org or a third party runs apart from the server so that a
 * breached server cannot show two histories of a log.
 *
 *     palisade witness [serve] [--listen 127.0.0.1:8081] [--data ./witness-data]
 *                              [--name <name>] [--webhook <url>] [--log-level info]
 *     palisade witness key     [--data ./witness-data] [--name <name>]
 *     palisade witness add-log --key <log verifier key> [--root-fingerprint <org root v1 fp>] [--data ./witness-data]
 *     palisade witness reports prune --origin <origin> --through <seq> [--data ./witness-data]
 *
 * `serve` prints the witness's cosignature/v1 verifier key and URL on stdout,
 * logs (pino JSON lines) on stderr, and stops cleanly on SIGINT or SIGTERM:
 * requests in flight finish (at most the 30 s request timeout); a second
 * signal ends the process at once.
 * The private key stays in the data directory and is never printed.
 * `reports prune` frees a log's report budget on purpose, while the
 * witness is stopped: it moves the reports up to a seq to
 * `<data>/reports-archive/` (never deletes them); numbering goes on.
 *
 * The witness is loaded on demand, by name, and typed here by the slice of
 * its API this file uses: the CLI starts fast for every other command and
 * builds without depending on the witness package's build output.
 */
import { resolve } from 'node:path'
import { Option, type Command } from 'commander'
import type { CliContext } from '../context.js'
import { CliError } from '../errors.js'
import { formatFields } from '../io/output.js'
import { integerOption } from '../args/duration.js'
import { parseDirectory, quote } from '../validate.js'

/** The slice of @palisade/witness this command uses. */
interface WitnessApi {
  startWitness(options: {
    listen: string
    dataDir: string
    name?: string
    webhook?: string
    logger?: { level: string }
    reportStoreBytes?: number
    reportDeviceRateLimit?: { burst: number; perSecond: number }
    reportDevicesPerAddress?: number
  }): Promise<{ readonly url: string; readonly name: string; readonly verifierKey: string; close(): Promise<void> }>
  witnessIdentity(dataDir: string, name?: string): Promise<{ readonly name: string; readonly verifierKey: string }>
  addWitnessedLog(dataDir: string, key: string, rootFingerprint?: string): Promise<{ readonly origin: string; readonly added: boolean; readonly pinned?: boolean }>
  pruneWitnessReports?(dataDir: string, origin: string, through: number): Promise<PrunedReports>
}

/** What @palisade/witness answers a prune with. */
interface PrunedReports {
  readonly origin: string
  readonly through: number
  readonly archived: number
  readonly archive?: string
  readonly freedBytes: number
  readonly kept: number
  readonly nextSeq: number
}

// A string variable, not a literal: TypeScript leaves the import unresolved.
const WITNESS_PACKAGE: string = '@palisade/witness'
const DEFAULT_LISTEN = '127.0.0.1:8081'
const DEFAULT_DATA = './witness-data'
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Registers `palisade witness` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const witness = program
    .command('witness')
    .description('run a cosigning witness for transparency logs (c2sp.org/tlog-witness); `serve` by default')

  witness
    .command('serve', { isDefault: true })
    .description('start the witness: print its verifier key and URL, serve until SIGINT/SIGTERM')
    .option('--listen <host:port>', 'address to listen on', DEFAULT_LISTEN)
    .addOption(dataOption())
    .option('--name <name>', 'witness key name, e.g. witness.example.com (only when the key is made; default: the host name)')
    .option('--webhook <url>', 'POST a JSON event for every cosigned checkpoint, refused request, device report and full report store')
    .addOption(new Option('--log-level <level>', 'log level of the JSON logs on stderr').choices(LOG_LEVELS).default('info'))
    .addOption(
      new Option('--report-store-mib <n>', 'MiB of device reports kept per log; beyond, new reports are refused (507) until you prune')
        .argParser(integerOption('--report-store-mib', 1, 1024 * 1024))
        .default(256),
    )
    .addOption(new Option('--report-device-burst <n>', 'device reports accepted at once per (log, device id)').argParser(integerOption('--report-device-burst', 1, 100_000)).default(20))
    .addOption(
      new Option('--report-device-hourly <n>', 'device reports accepted per hour on average per (log, device id)')
        .argParser(integerOption('--report-device-hourly', 1, 3_600_000))
        .default(60),
    )
    .addOption(
      new Option('--report-devices-per-address <n>', 'distinct device ids one client address may send reports for within an hour')
        .argParser(integerOption('--report-devices-per-address', 1, 1_000_000))
        .default(20),
    )
    .action(async (opts: ServeOptions, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const api = await witnessApi()
      // Listen before starting, so a signal that arrives during start-up
      // still stops the witness cleanly instead of killing it half-started.
      const stop = untilSignal()
      let w: Awaited<ReturnType<WitnessApi['startWitness']>>
      try {
        w = await translate(() =>
          api.startWitness({
            listen: opts.listen,
            dataDir: opts.data,
            ...(opts.name === undefined ? {} : { name: opts.name }),
            ...(opts.webhook === undefined ? {} : { webhook: opts.webhook }),
            logger: { level: opts.logLevel },
            reportStoreBytes: opts.reportStoreMib * 1024 * 1024,
            reportDeviceRateLimit: { burst: opts.reportDeviceBurst, perSecond: opts.reportDeviceHourly / 3600 },
            reportDevicesPerAddress: opts.reportDevicesPerAddress,
          }),
        )
      } catch (e) {
        stop.cancel()
        throw e
      }
      const dataDir = resolve(opts.data)
      inv.out.result({ name: w.name, verifierKey: w.verifierKey, url: w.url, dataDir }, () =>
        formatFields([
          ['witness', w.name],
          ['verifier key', w.verifierKey],
          ['url', w.url],
          ['data', dataDir],
        ]),
      )
      const signal = await stop.signal
      inv.out.note(`${signal}: stopping the witness`)
      await w.close()
    })

  witness
    .command('key')
    .description('print the witness verifier key (cosignature/v1), making the key on first use')
    .addOption(dataOption())
    .option('--name <name>', 'witness key name, used only when the key is made (default: the host name)')
    .action(async (opts: { data: string; name?: string }, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const api = await witnessApi()
      const id = await translate(() => api.witnessIdentity(opts.data, opts.name))
      inv.out.result({ name: id.name, verifierKey: id.verifierKey }, () => id.verifierKey)
    })

  witness
    .command('add-log')
    .description('witness a log: register its Ed25519 note verifier key (the key name is the log origin)')
    .requiredOption('--key <vkey>', 'the log verifier key, <origin>+<hex8>+<base64>')
    .option(
      '--root-fingerprint <fp>',
      "for a Palisade org log: the org's root v1 fingerprint; the witness then cosigns only checkpoints naming the newest root it was shown (POST /add-root)",
    )
    .addOption(dataOption())
    .action(async (opts: { key: string; data: string; rootFingerprint?: string }, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const api = await witnessApi()
      const r = await translate(() => api.addWitnessedLog(opts.data, opts.key, opts.rootFingerprint))
      const pinned = r.pinned === true
      inv.out.result({ origin: r.origin, added: r.added, pinned }, () =>
        (r.added ? `Added log ${quote(r.origin)}` : `Log ${quote(r.origin)} is already witnessed with this key`) +
        (pinned ? `, its org root pinned${opts.rootFingerprint === undefined ? '' : ` (${opts.rootFingerprint})`}.` : '.'),
      )
    })

  const reports = witness.command('reports').description("manage the device reports a witness stores (while it is stopped)")
  reports
    .command('prune')
    .description('free a log\'s report budget: move its reports up to --through to <data>/reports-archive/ (the witness must be stopped)')
    .requiredOption('--origin <origin>', 'the log origin, as add-log registered it')
    .addOption(new Option('--through <seq>', 'archive the reports with seq ≤ this (read by the monitors first)').argParser(integerOption('--through', 1, MAX_SEQ)).makeOptionMandatory())
    .addOption(dataOption())
    .action(async (opts: { origin: string; through: number; data: string }, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const api = await witnessApi()
      if (typeof api.pruneWitnessReports !== 'function') throw new CliError('CLI_IO', `${WITNESS_PACKAGE} does not export pruneWitnessReports`)
      const prune = api.pruneWitnessReports.bind(api)
      const r = await translate(() => prune(opts.data, opts.origin, opts.through), PRUNE_HINTS)
      inv.out.result({ ...r }, () =>
        r.archived === 0
          ? `Nothing to archive for ${quote(r.origin)} through #${r.through}; the next report will be #${r.nextSeq}.`
          : formatFields([
              ['archived', `${r.archived} report${r.archived === 1 ? '' : 's'} of ${quote(r.origin)} through #${r.through}`],
              ['to', r.archive ?? ''],
              ['freed', `${r.freedBytes} bytes`],
              ['kept', String(r.kept)],
              ['next seq', String(r.nextSeq)],
            ]),
      )
    })
}

interface ServeOptions {
  listen: string
  data: string
  name?: string
  webhook?: string
  logLevel: string
  reportStoreMib: number
  reportDeviceBurst: number
  reportDeviceHourly: number
  reportDevicesPerAddress: number
}

/** The largest seq `--through` takes (integerOption reads at most 15 digits). */
const MAX_SEQ = 999_999_999_999_999

/** Hints of `reports prune`, where they differ from the other commands'. */
const PRUNE_HINTS: Readonly<Record<string, string>> = {
  WIT_DATA_LOCKED: 'stop the witness first: reports are pruned only while it is stopped',
  WIT_CONFIG: '--through must be at most the last report seq (GET /palisade/v1/reports shows them)',
  WIT_LOG_UNKNOWN: 'give the origin as `palisade witness add-log` registered it',
}

function dataOption(): Option {
  return new Option('--data <dir>', 'witness data directory (key, logs, state)').default(DEFAULT_DATA).argParser(parseDirectory)
}

async function witnessApi(): Promise<WitnessApi> {
  let mod: Partial<WitnessApi>
  try {
    mod = (await import(WITNESS_PACKAGE)) as Partial<WitnessApi>
  } catch (e) {
    throw new CliError('CLI_IO', `cannot load ${WITNESS_PACKAGE}: ${String((e as Error)?.message ?? e).split('\n', 1)[0]}`, {
      cause: e,
      hint: 'install and build the witness package (npm install, then npm run build)',
    })
  }
  if (typeof mod.startWitness !== 'function' || typeof mod.witnessIdentity !== 'function' || typeof mod.addWitnessedLog !== 'function') {
    throw new CliError('CLI_IO', `${WITNESS_PACKAGE} does not export startWitness, witnessIdentity and addWitnessedLog`)
  }
  return mod as WitnessApi
}

/** Witness codes the user fixes by changing an argument; the rest are about files and the system. */
const ARGUMENT_CODES: Readonly<Record<string, string>> = {
  WIT_CONFIG: 'check --listen (host:port), --data and --webhook (an http(s) URL)',
  WIT_NAME_INVALID: 'a witness name has no spaces and no "+", e.g. --name witness.example.com',
  WIT_NAME_MISMATCH: 'omit --name to use the name the key was made with, or use another --data directory',
  WIT_KEY_INVALID: 'pass the log verifier key as <origin>+<hex8>+<base64>, as the log operator publishes it',
  WIT_LOG_EXISTS: 'a log key is never replaced; use another --data directory for a new witness',
  WIT_LOG_UNKNOWN: 'give a log origin the witness witnesses (palisade witness add-log)',
}
const SYSTEM_HINTS: Readonly<Record<string, string>> = {
  WIT_DATA_LOCKED: 'stop the other witness, or remove the lock file if its process is gone',
  WIT_DATA_INSECURE: 'run `chmod 600` on the witness key file',
  WIT_LISTEN: 'is another process using the address? choose another with --listen',
}

/** Runs `fn`, turning a WitnessError into a CliError (stable CLI code, the witness code in details); `hints` override the usual ones. */
async function translate<T>(fn: () => Promise<T>, hints: Readonly<Record<string, string>> = {}): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    const err = e as { name?: unknown; code?: unknown; message?: unknown }
    if (err?.name !== 'WitnessError' || typeof err.code !== 'string') throw e
    const message = String(err.message)
    if (err.code in ARGUMENT_CODES) {
      throw new CliError('CLI_ARG_INVALID', message, { hint: hints[err.code] ?? ARGUMENT_CODES[err.code]!, cause: e, details: { code: err.code } })
    }
    const hint = hints[err.code] ?? SYSTEM_HINTS[err.code]
    throw new CliError('CLI_IO', message, { ...(hint === undefined ? {} : { hint }), cause: e, details: { code: err.code } })
  }
}

/** Resolves with the first SIGINT or SIGTERM; `cancel` stops listening. */
function untilSignal(): { readonly signal: Promise<NodeJS.Signals>; cancel(): void } {
  let cancel = (): void => undefined
  const signal = new Promise<NodeJS.Signals>((resolveSignal) => {
    const on = (s: NodeJS.Signals): void => {
      cancel()
      resolveSignal(s)
    }
    // After the first signal the handlers are gone, so a second one stops
    // the process at once (Node's default) if closing hangs.
    cancel = () => {
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
  return { signal, cancel }
}
