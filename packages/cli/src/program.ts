/**
 * The `palisade` command line: global options, the list of commands, and
 * `run`, which parses argv, runs the command and turns every outcome into
 * an exit status (0 ok, 1 error, 2 usage error).
 *
 * Adding a command is one file under commands/ exporting
 * `register(program, ctx)`, plus one line in COMMANDS below.
 */
import { readFileSync } from 'node:fs'
import { Command, CommanderError, Option } from 'commander'
import { createContext, type CliContext, type CliDeps } from './context.js'
import { CliError } from './errors.js'
import { reportError } from './io/output.js'
import { parseDirectory, parseServerUrl } from './validate.js'
import * as agent from './commands/agent.js'
import * as key from './commands/key.js'
import * as org from './commands/org.js'
import * as root from './commands/root.js'
import * as login from './commands/login.js'
import * as token from './commands/token.js'
import * as command from './commands/command.js'
import * as devices from './commands/devices.js'
import * as alerts from './commands/alerts.js'
import * as log from './commands/log.js'
import * as server from './commands/server.js'
import * as witness from './commands/witness.js'
import * as incident from './commands/incident.js'
import * as monitor from './commands/monitor.js'
import * as sim from './commands/sim.js'
import * as apiKey from './commands/api-key.js'
import * as audit from './commands/audit.js'
import * as people from './commands/people.js'
import * as groups from './commands/groups.js'

/** Adds one command (or command group) to the program. */
export type Register = (program: Command, ctx: CliContext) => void

/** Every command of the CLI, in the order `--help` lists them. */
export const COMMANDS: readonly Register[] = [
  key.register,
  org.register,
  root.register,
  login.register,
  token.register,
  command.register,
  devices.register,
  people.register,
  groups.register,
  alerts.register,
  log.register,
  audit.register,
  monitor.register,
  incident.register,
  server.register,
  witness.register,
  agent.register,
  sim.register,
  apiKey.register,
]

/** Global options that take a value (for finding the command path in argv). */
const VALUE_OPTIONS = new Set(['--home', '--server'])

/**
 * Builds the commander program. Commander never exits the process or prints
 * its own errors: it throws, and `run` reports.
 */
export function buildProgram(ctx: CliContext, commands: readonly Register[] = COMMANDS): Command {
  const program = new Command('palisade')
    .description('Palisade admin CLI: keys stay on this machine; the server only relays what admins sign.')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .option('--json', 'print exactly one JSON document on stdout (errors as JSON on stderr)')
    .addOption(new Option('--home <dir>', 'palisade home with keys and config (default: $PALISADE_HOME or ~/.palisade)').argParser(parseDirectory))
    .addOption(new Option('--server <url>', 'server base URL, http(s) (default: $PALISADE_SERVER or the config)').argParser(parseServerUrl))
    .showSuggestionAfterError(true)
    // these settings are inherited by the commands created below
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void ctx.deps.stdout.write(s),
      writeErr: (s) => void ctx.deps.stderr.write(s),
      outputError: () => undefined, // run() prints errors in our own format
    })
  for (const register of commands) register(program, ctx)
  return program
}

/**
 * Runs the CLI on `argv` (without the node and script paths) and returns
 * the exit status. Never throws.
 *
 * @example
 * process.exitCode = await run(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr })
 */
export async function run(argv: readonly string[], deps: CliDeps, commands: readonly Register[] = COMMANDS): Promise<number> {
  const json = wantsJson(argv)
  let program: Command | undefined
  try {
    program = buildProgram(createContext(deps), commands)
    await program.parseAsync([...argv], { from: 'user' })
    return 0
  } catch (e) {
    let err = e
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0 // --help, --version
      if (e.code === 'commander.help') return 2 // a group run without a subcommand: its help went to stderr
      err = usageError(e, program, argv)
    }
    return reportError(err, { json, stderr: deps.stderr, debug: deps.env['PALISADE_DEBUG'] === '1' })
  }
}

/** Commander's own parse errors, as CLI_USAGE with a hint naming the command's --help. */
function usageError(e: CommanderError, program: Command | undefined, argv: readonly string[]): CliError {
  // commander writes "error: …" and may add "\n(Did you mean …?)"; we print one line
  const message = e.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')
  const path = program === undefined ? ['palisade'] : commandPath(program, argv)
  return new CliError('CLI_USAGE', message, { hint: `run \`${path.join(' ')} --help\``, cause: e })
}

/** The names of the (sub)commands that argv selects, starting with 'palisade'. */
export function commandPath(program: Command, argv: readonly string[]): string[] {
  const path = [program.name()]
  let cmd = program
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') break
    if (arg.startsWith('-')) {
      if (VALUE_OPTIONS.has(arg)) i++
      continue
    }
    const sub = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg))
    if (sub === undefined) break
    path.push(sub.name())
    cmd = sub
  }
  return path
}

/** Whether --json is among the options (before any `--`), even if parsing failed. */
export function wantsJson(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false
    if (arg === '--json') return true
  }
  return false
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : 'unknown'
  } catch {
    return 'unknown'
  }
}
