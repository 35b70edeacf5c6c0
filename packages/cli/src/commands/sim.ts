/**
 * `palisade sim`: a load generator of simulated agents against a real
 * server (the @palisade/sim package).
 *
 *     palisade sim --server <url> --token <token>… --fingerprint <fp> --agents N
 *                  [--workers W] [--source-addresses 127.0.0.2-127.0.0.40] [--ramp-rate R]
 *                  [--state-dir D] [--duration <d>] [--status-every <d>]
 *
 * Each simulated agent has its own device key and trust state, enrolls
 * through the real enrollment route, and verifies every delivery for real;
 * scripts are NOT executed: a verified delivery is answered with a signed
 * no-op result. The command says so first, on stderr, before anything
 * else. Runs until --duration is over or SIGINT/SIGTERM, then prints the
 * final counters (one JSON document with --json). Status lines go to
 * stderr (JSON lines with --json).
 */
import type { Command } from 'commander'
import { Option } from 'commander'
import { formatStatus, isSimError, runSimulator, type SimCounters } from '@palisade/sim'
import type { CliContext } from '../context.js'
import { CliError } from '../errors.js'
import { durationOption, integerOption } from '../args/duration.js'
import { parseDirectory } from '../validate.js'
import { parseFingerprint, parseToken } from './agent.js'

const BANNER =
  '*** palisade sim: SIMULATED AGENTS. Scripts are NOT executed. ***\n' +
  '*** Each delivery is verified for real (quorum, log, witnesses) and answered with a recorded no-op result ***\n' +
  '*** (status completed, exit 0, stdout "[palisade sim: not executed]"). ***\n'

/** Registers `palisade sim`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('sim')
    .description('simulate N agents against a real server: real keys, enrollment, protocol and verification; scripts are NOT executed')
    .requiredOption('--agents <n>', 'how many agents to simulate', integerOption('--agents', 1, 1_000_000))
    .option('--token <token>', 'an enrollment token (repeat for more than 10,000 agents)', (v: string, prev: string[]) => [...prev, parseToken(v)], [] as string[])
    .addOption(new Option('--fingerprint <fp>', 'SHA-256 fingerprint of the org root (needed to enroll; kept in --state-dir)').argParser(parseFingerprint))
    .addOption(new Option('--workers <n>', 'worker processes sharing the agents (default 1)').argParser(integerOption('--workers', 1, 64)))
    .option('--source-addresses <list>', 'source addresses for the connections, e.g. 127.0.0.2-127.0.0.40 (about 28,000 connections each)')
    .addOption(new Option('--ramp-rate <n>', 'connection attempts per second (default 500)').argParser(integerOption('--ramp-rate', 1, 100_000)))
    .addOption(new Option('--state-dir <dir>', 'keep keys and trust states here: a rerun reconnects the same agents').argParser(parseDirectory))
    .addOption(new Option('--duration <d>', 'stop after this long (default: until SIGINT or SIGTERM)').argParser(durationOption('--duration', 1, 30 * 86400)))
    .addOption(new Option('--status-every <d>', 'status line interval (default 5s)').argParser(durationOption('--status-every', 1, 3600)))
    .addHelpText('after', '\nAlso required: --server <url> (a global option, accepted after `sim` too, or $PALISADE_SERVER).')
    .action(async (opts: SimFlags, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const server = await inv.serverUrl()
      const { stderr } = ctx.deps
      stderr.write(BANNER)
      const stop = new AbortController()
      const onSignal = (): void => stop.abort()
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
      const timer = opts.duration === undefined ? undefined : setTimeout(onSignal, opts.duration * 1000)
      const status = (c: SimCounters): void =>
        void stderr.write(inv.json ? `${JSON.stringify({ status: c })}\n` : `sim: ${formatStatus(c)}\n`)
      let final: SimCounters
      try {
        final = await runSimulator({
          server,
          tokens: opts.token,
          fingerprint: opts.fingerprint,
          agents: opts.agents,
          workers: opts.workers,
          sourceAddresses: opts.sourceAddresses,
          rampRate: opts.rampRate,
          stateDir: opts.stateDir,
          statusIntervalMs: (opts.statusEvery ?? 5) * 1000,
          onStatus: status,
          onNote: (line) => void stderr.write(inv.json ? `${JSON.stringify({ note: line })}\n` : `sim: ${line}\n`),
          signal: stop.signal,
        })
      } catch (e) {
        throw toCliError(e, server)
      } finally {
        clearTimeout(timer)
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
      inv.out.result({ simulated: true, scriptsExecuted: false, ...final }, () => `palisade sim stopped: ${formatStatus(final)}\nscripts were NOT executed (simulated agents)`)
    })
}

interface SimFlags {
  readonly agents: number
  readonly token: string[]
  readonly fingerprint?: string
  readonly workers?: number
  readonly sourceAddresses?: string
  readonly rampRate?: number
  readonly stateDir?: string
  readonly duration?: number
  readonly statusEvery?: number
}

function toCliError(e: unknown, server: string): unknown {
  if (!isSimError(e)) return e
  const base = { cause: e, details: { simCode: e.code } }
  switch (e.code) {
    case 'SIM_ARG_INVALID':
      return new CliError('CLI_ARG_INVALID', e.message, base)
    case 'SIM_SERVER_UNREACHABLE':
      return new CliError('CLI_SERVER_UNREACHABLE', e.message, { ...base, server })
    case 'SIM_ENROLL_REFUSED':
      return new CliError('CLI_SERVER_REFUSED', e.message, { ...base, server, hint: 'create fresh tokens with `palisade token create --uses 10000`' })
    case 'SIM_ROOT_UNTRUSTED':
      return new CliError('CLI_SERVER_UNTRUSTED', e.message, { ...base, server })
    case 'SIM_STATE_INVALID':
      return new CliError('CLI_IO', e.message, { ...base, hint: 'use another --state-dir, or remove this one to enroll new agents' })
    default:
      return new CliError('CLI_INTERNAL', e.message, base)
  }
}
