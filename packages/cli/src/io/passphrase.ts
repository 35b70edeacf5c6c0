/**
 * Where a keystore passphrase comes from, in order:
 *
 * 1. `--passphrase-file <path>`: the first line of the file (a trailing
 *    CR is dropped). Works with `/dev/fd/N` and process substitution.
 * 2. the environment variable PALISADE_PASSPHRASE, when non-empty.
 * 3. a prompt on the controlling terminal (/dev/tty), with echo off; a new
 *    passphrase is asked twice.
 *
 * Otherwise CLI_PASSPHRASE_REQUIRED: the CLI never waits on a stdin that
 * nobody will type into. A passphrase is never printed, logged, or put in
 * an error message.
 */
import { closeSync, openSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { ReadStream, WriteStream } from 'node:tty'
import { Writable } from 'node:stream'
import { Option } from 'commander'
import { CliError } from '../errors.js'
import { checkNewPassphrase } from '../keystore/keystore.js'
import { readFileBounded } from './atomic-file.js'

export const PASSPHRASE_ENV = 'PALISADE_PASSPHRASE'

/** The largest passphrase file we read. */
export const PASSPHRASE_FILE_MAX_BYTES = 4096

/**
 * Asks the user for a secret without echo. Resolves undefined when there is
 * no terminal to ask on.
 */
export type Prompt = (question: string) => Promise<string | undefined>

/** What getPassphrase needs to know. */
export interface PassphraseRequest {
  /** 'create' checks strength and asks twice at a prompt; 'unlock' does not. */
  readonly purpose: 'create' | 'unlock'
  /** What the passphrase protects, for the prompt, e.g. `key "alice"`. */
  readonly label: string
  /** The value of --passphrase-file, if given. */
  readonly file?: string | undefined
  readonly env: Readonly<Record<string, string | undefined>>
  /** The terminal prompt; ttyPrompt unless given (tests pass a fake). */
  readonly prompt?: Prompt
}

/**
 * The `--passphrase-file <path>` option, for commands that need a passphrase.
 *
 * @example
 * program.command('generate').addOption(passphraseFileOption())
 */
export function passphraseFileOption(): Option {
  return new Option('--passphrase-file <path>', `read the passphrase from the first line of a file (else $${PASSPHRASE_ENV}, else a prompt)`)
}

/**
 * Obtains a passphrase from the first source that has one (see above).
 *
 * @example
 * const pass = await getPassphrase({ purpose: 'unlock', label: 'key "alice"', file: opts.passphraseFile, env: process.env })
 */
export async function getPassphrase(request: PassphraseRequest): Promise<string> {
  let passphrase: string | undefined
  if (request.file !== undefined) passphrase = await readPassphraseFile(request.file)
  else if ((request.env[PASSPHRASE_ENV] ?? '') !== '') passphrase = request.env[PASSPHRASE_ENV]
  if (passphrase !== undefined) {
    if (request.purpose === 'create') checkNewPassphrase(passphrase)
    return passphrase
  }

  const prompt = request.prompt ?? ttyPrompt
  const verb = request.purpose === 'create' ? 'New passphrase' : 'Passphrase'
  passphrase = await prompt(`${verb} for ${request.label}: `)
  if (passphrase === undefined) {
    throw new CliError('CLI_PASSPHRASE_REQUIRED', `a passphrase for ${request.label} is needed and there is no terminal to ask on`)
  }
  if (request.purpose === 'create') {
    checkNewPassphrase(passphrase)
    const again = await prompt('Repeat the passphrase: ')
    if (again !== passphrase) throw new CliError('CLI_PASSPHRASE_MISMATCH', 'the two passphrases differ')
  }
  return passphrase
}

/** The first line of `path`, without its line ending. */
export async function readPassphraseFile(path: string): Promise<string> {
  const invalid = (why: string): CliError =>
    new CliError('CLI_PASSPHRASE_FILE', `cannot use passphrase file ${path}: ${why}`, { details: { path } })
  const raw = await readFileBounded(path, PASSPHRASE_FILE_MAX_BYTES, { onInvalid: invalid, allowSpecial: true })
  if (raw === undefined) throw invalid('no such file')
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw)
  } catch {
    throw invalid('it is not UTF-8 text')
  } finally {
    raw.fill(0)
  }
  const line = (text.split('\n', 1)[0] ?? '').replace(/\r$/, '')
  if (line === '') throw invalid('its first line is empty')
  return line
}

/**
 * Prompts on the controlling terminal with echo off: readline in raw mode
 * whose echo goes to a sink, while the question goes to the terminal.
 * Using /dev/tty rather than stdin keeps `... | palisade` pipelines
 * working and never reads a passphrase from a pipe by accident.
 */
export const ttyPrompt: Prompt = async (question) => {
  const terminal = openTerminal()
  if (terminal === undefined) return undefined
  const { input, output, close } = terminal
  const muted = new Writable({ write: (_chunk, _enc, done) => done() })
  const rl = createInterface({ input, output: muted, terminal: true, historySize: 0 })
  output.write(question)
  try {
    return await new Promise<string>((resolve, reject) => {
      const abort = (): void => reject(new CliError('CLI_ABORTED', 'interrupted at the passphrase prompt'))
      rl.once('line', resolve)
      rl.once('SIGINT', abort)
      rl.once('close', abort) // Ctrl-D; after 'line' this is a no-op
    })
  } finally {
    rl.close()
    output.write('\n')
    close()
  }
}

interface Terminal {
  readonly input: NodeJS.ReadableStream & { isTTY?: boolean }
  readonly output: NodeJS.WritableStream
  close(): void
}

function openTerminal(): Terminal | undefined {
  if (process.platform === 'win32') {
    // no /dev/tty: use the console when stdin is one
    if (process.stdin.isTTY !== true) return undefined
    return { input: process.stdin, output: process.stderr, close: () => process.stdin.pause() }
  }
  let rfd: number
  let wfd: number
  try {
    rfd = openSync('/dev/tty', 'r')
  } catch {
    return undefined // no controlling terminal (daemon, CI, ssh -T)
  }
  try {
    wfd = openSync('/dev/tty', 'w')
  } catch {
    closeSync(rfd)
    return undefined
  }
  const input = new ReadStream(rfd)
  const output = new WriteStream(wfd)
  return {
    input,
    output,
    close: () => {
      input.destroy()
      output.destroy()
    },
  }
}
