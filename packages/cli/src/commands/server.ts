/**
 * `palisade server`: run the palisade server in this process until SIGINT
 * or SIGTERM.
 *
 *     palisade server [--listen host:port] [--data DIR] [--public-url URL]
 *                     [--database-url postgres://…] [--bus nats://host:port]
 *                     [--node-id NAME] [--metrics-listen host:port] [--workers N]
 *
 * Settings not given here come from the environment (PALISADE_LISTEN,
 * PALISADE_DATA_DIR, PALISADE_DATABASE_URL, PALISADE_LOG_LEVEL,
 * PALISADE_PUBLIC_URL, PALISADE_BUS_URL, PALISADE_NODE_ID,
 * PALISADE_METRICS_LISTEN, PALISADE_WORKERS; see @palisade/server
 * config.ts). Several nodes share one PostgreSQL database and one NATS
 * bus, and PALISADE_SECRET_KEY (an environment variable only: it is a
 * secret). The server logs to stdout and prints its one-time setup code
 * itself.
 *
 * `--workers N` (N > 1, PostgreSQL and a bus required) makes this process
 * the primary of N worker processes sharing the listening address: it
 * stops them all on SIGINT/SIGTERM and restarts one that dies.
 *
 * @palisade/server is loaded only when this command runs, through the
 * small slice of its API declared below: every other command starts
 * without loading a web server and a database driver, and the CLI builds
 * without the server package's types.
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { CliError } from '../errors.js'

/** The slice of @palisade/server this command uses. */
interface ServerModule {
  loadConfig(sources: { readonly env?: Readonly<Record<string, string | undefined>>; readonly argv?: readonly string[] }): unknown
  startNode(config: unknown, options?: { readonly handleSignals?: boolean }): Promise<{ readonly url: string; readonly metricsUrl?: string | null; close(): Promise<void> }>
}

interface ServerFlags {
  listen?: string
  data?: string
  publicUrl?: string
  databaseUrl?: string
  bus?: string
  nodeId?: string
  metricsListen?: string
  workers?: string
}

/**
 * The settings only the environment carries, after the flags in --help: a
 * secret must not sit on a command line, and tuning knobs rarely change.
 * Every variable the server reads is named here or in a flag's default
 * (server.test.ts checks that against @palisade/server's list).
 */
const ENVIRONMENT_HELP = `
Environment (a flag wins over its variable; an empty variable counts as unset):
  PALISADE_LISTEN, PALISADE_DATA_DIR, PALISADE_DATABASE_URL, PALISADE_PUBLIC_URL,
  PALISADE_BUS_URL, PALISADE_NODE_ID, PALISADE_METRICS_LISTEN, PALISADE_WORKERS
                               the flags' defaults, as above
  PALISADE_SECRET_KEY          base64 of 32 bytes sealing TOTP secrets; nodes sharing
                               a database share it (default: <data dir>/secret.key)
  PALISADE_LOG_LEVEL           fatal, error, warn, info, debug, trace or silent (default: info)
  PALISADE_DATABASE_POOL       PostgreSQL connections per process, 4–500 (default: 10;
                               workers × pool must fit the server's max_connections)
  PALISADE_PRESENCE_TTL_MS     how long this node's heartbeat keeps its agents online,
                               1000–600000 (default: 30000)
  PALISADE_REQUEST_TIMEOUT_MS  longest time to receive one HTTP request, 1000–600000 (default: 60000)
  PALISADE_HELLO_TIMEOUT_MS    longest wait for an agent's hello, 500–60000 (default: 10000)
  PALISADE_CONSOLE_DIR         the web console's built files (default: those of the
                               installed @palisade/console package)`

/** How long a graceful stop may take before the command gives up. */
const STOP_TIMEOUT_MS = 10_000
const SERVER_MODULE = '@palisade/server'

/** Registers `palisade server`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('server')
    .description('run the palisade server until Ctrl-C (SIGINT) or SIGTERM')
    .option('--listen <host:port>', 'address to listen on (default: $PALISADE_LISTEN or 127.0.0.1:8080)')
    .option('--data <dir>', 'data directory, holding the SQLite database (default: $PALISADE_DATA_DIR or ./data)')
    .option('--public-url <url>', 'the URL agents and admins reach the server at (needed when listening on all interfaces)')
    .option('--database-url <url>', 'sqlite:<file> or postgres://… (default: $PALISADE_DATABASE_URL or sqlite in the data directory)')
    .option('--bus <url>', 'nats://host:port carrying fan-out between server nodes (PostgreSQL only; default: $PALISADE_BUS_URL or one node)')
    .option('--node-id <name>', "this node's name on the bus and in logs (default: $PALISADE_NODE_ID or random)")
    .option('--metrics-listen <host:port>', 'serve Prometheus /metrics on this separate address (default: $PALISADE_METRICS_LISTEN or off)')
    .option('--workers <n>', 'worker processes sharing the address, 1–64; above 1 needs PostgreSQL and --bus (default: $PALISADE_WORKERS or 1)')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (opts: ServerFlags, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const mod = await loadServerModule()
      const argv: string[] = []
      if (opts.listen !== undefined) argv.push('--listen', opts.listen)
      if (opts.data !== undefined) argv.push('--data-dir', opts.data)
      if (opts.publicUrl !== undefined) argv.push('--public-url', opts.publicUrl)
      if (opts.databaseUrl !== undefined) argv.push('--database-url', opts.databaseUrl)
      if (opts.bus !== undefined) argv.push('--bus', opts.bus)
      if (opts.nodeId !== undefined) argv.push('--node-id', opts.nodeId)
      if (opts.metricsListen !== undefined) argv.push('--metrics-listen', opts.metricsListen)
      if (opts.workers !== undefined) argv.push('--workers', opts.workers)
      let config: unknown
      try {
        config = mod.loadConfig({ env: ctx.deps.env, argv })
      } catch (e) {
        throw new CliError('CLI_ARG_INVALID', String((e as Error)?.message ?? e), { cause: e, hint: 'run `palisade server --help`' })
      }
      // Signals are the one piece of process state a command owns here:
      // the server runs until the process is asked to stop.
      const stopped = waitForSignal()
      let handle: Awaited<ReturnType<ServerModule['startNode']>>
      try {
        handle = await mod.startNode(config, { handleSignals: false })
      } catch (e) {
        stopped.cancel()
        const code = (e as { code?: unknown } | null)?.code
        const why = code === 'EADDRINUSE' ? 'the address is already in use' : String((e as Error)?.message ?? e).split('\n', 1)[0]
        throw new CliError('CLI_SERVER_START', `the server could not start: ${why}`, { cause: e })
      }
      inv.out.note(`palisade server listening on ${handle.url} (Ctrl-C to stop)`)
      if (typeof handle.metricsUrl === 'string') inv.out.note(`metrics: ${handle.metricsUrl}/metrics`)
      const signal = await stopped.promise
      inv.out.note(`${signal}: stopping…`)
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CliError('CLI_SERVER_START', `the server did not stop within ${STOP_TIMEOUT_MS / 1000} s`)), STOP_TIMEOUT_MS)
        timer.unref()
      })
      try {
        await Promise.race([handle.close(), timeout])
      } finally {
        clearTimeout(timer)
      }
      inv.out.result({ url: handle.url, stopped: signal }, () => 'palisade server stopped')
    })
}

async function loadServerModule(): Promise<ServerModule> {
  let mod: Partial<ServerModule>
  try {
    mod = (await import(SERVER_MODULE)) as Partial<ServerModule>
  } catch (e) {
    throw new CliError('CLI_SERVER_START', `cannot load ${SERVER_MODULE}: ${String((e as Error)?.message ?? e).split('\n', 1)[0]}`, {
      cause: e,
      hint: 'install the server package (npm install, then build), or run the server from its own package',
    })
  }
  if (typeof mod.loadConfig !== 'function' || typeof mod.startNode !== 'function') {
    throw new CliError('CLI_SERVER_START', `${SERVER_MODULE} does not export loadConfig and startNode`)
  }
  return mod as ServerModule
}

/**
 * Resolves with the first SIGINT or SIGTERM. The handlers are removed once
 * one arrives, so a second Ctrl-C takes the default action and ends a stop
 * that hangs.
 */
function waitForSignal(): { promise: Promise<NodeJS.Signals>; cancel(): void } {
  const signals = ['SIGINT', 'SIGTERM'] as const
  let done: (s: NodeJS.Signals) => void = () => undefined
  const promise = new Promise<NodeJS.Signals>((resolve) => (done = resolve))
  const handler = (s: NodeJS.Signals): void => {
    cancel()
    done(s)
  }
  const cancel = (): void => {
    for (const s of signals) process.off(s, handler)
  }
  for (const s of signals) process.on(s, handler)
  return { promise, cancel }
}
