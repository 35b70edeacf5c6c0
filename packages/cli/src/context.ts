/**
 * What a command gets to work with. The outside world (environment,
 * streams, randomness, the terminal prompt) comes in through `CliDeps`, so a
 * test can run the whole CLI in-process with fakes; commands never touch
 * `process` themselves.
 */
import type { Command } from 'commander'
import { randomBytes } from 'node:crypto'
import { loadConfig, resolveHome, type CliConfig } from './config/config.js'
import { CliError } from './errors.js'
import { createOutput, type Output, type TextSink } from './io/output.js'
import { getPassphrase, type Prompt } from './io/passphrase.js'
import type { RandomSource } from './keystore/keystore.js'
import { parseServerUrl } from './validate.js'

export const SERVER_ENV = 'PALISADE_SERVER'

/** The outside world, as the CLI sees it. */
export interface CliDeps {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly stdout: TextSink
  readonly stderr: TextSink
  /** crypto.randomBytes unless given. */
  readonly random?: RandomSource
  /** The terminal prompt for passphrases; ttyPrompt unless given. */
  readonly prompt?: Prompt
}

/** The global options, validated by their parsers in program.ts. */
export interface GlobalOptions {
  readonly json: boolean
  /** Absolute path of the palisade home: keys and config.json. */
  readonly home: string
  /** --server, if given (see Invocation.serverUrl for the fallbacks). */
  readonly server: string | undefined
}

/** One running command: its global options and the means to act on them. */
export interface Invocation extends GlobalOptions {
  readonly out: Output
  /** A passphrase from --passphrase-file, $PALISADE_PASSPHRASE or the terminal. */
  passphrase(request: { readonly purpose: 'create' | 'unlock'; readonly label: string; readonly file?: string | undefined }): Promise<string>
  /** config.json of the home directory ({} when there is none). */
  config(): Promise<CliConfig>
  /** --server, else $PALISADE_SERVER, else the config's server; else CLI_SERVER_REQUIRED. */
  serverUrl(): Promise<string>
}

/** Handed to every `register(program, ctx)`. */
export interface CliContext {
  readonly deps: CliDeps
  readonly random: RandomSource
  /**
   * The invocation of the command whose action is running: pass the
   * `Command` that commander gives the action as its last argument.
   *
   * @example
   * .action(async (opts, cmd: Command) => { const inv = ctx.invocation(cmd); ... })
   */
  invocation(cmd: Command): Invocation
}

/** Creates the context for one run of the CLI. */
export function createContext(deps: CliDeps): CliContext {
  const random = deps.random ?? randomBytes
  return Object.freeze({
    deps,
    random,
    invocation(cmd: Command): Invocation {
      const opts = cmd.optsWithGlobals<{ json?: boolean; home?: string; server?: string }>()
      const json = opts.json === true
      const home = resolveHome(opts.home, deps.env)
      const server = opts.server
      let config: Promise<CliConfig> | undefined
      const inv: Invocation = {
        json,
        home,
        server,
        out: createOutput({ json, stdout: deps.stdout, stderr: deps.stderr }),
        passphrase: (request) =>
          getPassphrase({ ...request, env: deps.env, ...(deps.prompt === undefined ? {} : { prompt: deps.prompt }) }),
        config: () => (config ??= loadConfig(home)),
        async serverUrl(): Promise<string> {
          if (server !== undefined) return server
          const fromEnv = deps.env[SERVER_ENV]
          if (fromEnv !== undefined && fromEnv !== '') {
            try {
              return parseServerUrl(fromEnv)
            } catch (e) {
              throw new CliError('CLI_ARG_INVALID', `$${SERVER_ENV}: ${(e as Error).message}`, { hint: `fix or unset $${SERVER_ENV}` })
            }
          }
          const fromConfig = (await inv.config()).server
          if (fromConfig !== undefined) return fromConfig
          throw new CliError('CLI_SERVER_REQUIRED', 'no server URL: this command talks to the server')
        },
      }
      return Object.freeze(inv)
    },
  })
}
