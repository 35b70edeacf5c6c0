/**
 * Everything the CLI prints goes through here, so the two modes stay honest:
 *
 * - `--json`: stdout carries exactly one JSON document (the result) and
 *   nothing else; an error is one JSON object on stderr, and stdout stays
 *   empty. Scripts can pipe stdout into a JSON parser unconditionally.
 * - human: aligned text on stdout; errors on stderr as
 *   `palisade: <message>` followed by `  hint: <hint>`.
 *
 * Human text passes through `printable()`, so a file name or server reply
 * cannot send escape sequences to the terminal.
 */
import { CliError } from '../errors.js'

/** The slice of a stream that output needs (process.stdout, or a test buffer). */
export interface TextSink {
  write(chunk: string): unknown
}

/** A JSON value, as printed by --json. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [k: string]: JsonValue }

/** The printer given to a command. */
export interface Output {
  readonly json: boolean
  /**
   * Prints the command's result: `data` as one JSON document in --json
   * mode, otherwise the text `human()` returns. Call it once per command.
   */
  result(data: { readonly [k: string]: JsonValue }, human: () => string): void
  /** A side note for people (stderr, human mode only; silent with --json). */
  note(text: string): void
}

/** Creates the printer for one invocation. */
export function createOutput(options: { readonly json: boolean; readonly stdout: TextSink; readonly stderr: TextSink }): Output {
  let printed = false
  return Object.freeze({
    json: options.json,
    result(data: { readonly [k: string]: JsonValue }, human: () => string): void {
      // a second document would break every JSON consumer downstream
      if (printed) throw new Error('output.result() called twice')
      printed = true
      if (options.json) options.stdout.write(JSON.stringify(data) + '\n')
      else options.stdout.write(endLine(printable(human())))
    },
    note(text: string): void {
      if (!options.json) options.stderr.write(endLine(printable(text)))
    },
  })
}

/**
 * Aligned `label: value` lines.
 *
 * @example
 * formatFields([['name', 'alice'], ['key id', '3f1c0a9b5d2e7781']])
 * // 'name:    alice\nkey id:  3f1c0a9b5d2e7781\n'
 */
export function formatFields(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length + 1))
  return rows.map(([label, value]) => `${(label + ':').padEnd(width)}  ${value}\n`).join('')
}

/**
 * A table with a header row and columns padded to their widest cell; the
 * last column is not padded.
 *
 * @example
 * formatTable(['NAME', 'KEY ID'], [['alice', '3f1c0a9b5d2e7781']])
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  return all
    .map((r) => header.map((_, i) => (i === header.length - 1 ? (r[i] ?? '') : (r[i] ?? '').padEnd(widths[i]!))).join('  ').trimEnd() + '\n')
    .join('')
}

/** Replaces control characters other than newline and tab with visible escapes. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function endLine(s: string): string {
  return s === '' || s.endsWith('\n') ? s : s + '\n'
}

/** The error as printed: two human lines, or one JSON object. */
export function formatError(err: CliError, json: boolean): string {
  if (json) {
    const error: Record<string, JsonValue> = { code: err.code, message: err.message, hint: err.hint }
    if (err.server !== undefined) error['server'] = err.server
    if (err.details !== undefined) error['details'] = { ...err.details }
    return JSON.stringify({ error }) + '\n'
  }
  return `palisade: ${printable(err.message)}\n  hint: ${printable(err.hint)}\n`
}

/** Options of reportError. */
export interface ReportOptions {
  readonly json: boolean
  readonly stderr: TextSink
  /** Print stack traces of unexpected errors (PALISADE_DEBUG=1). */
  readonly debug?: boolean
}

/**
 * Prints any thrown value to stderr and returns the exit status: a
 * CliError's own (1, or 2 for usage errors), 1 for anything else. An
 * unexpected error is one line, without a stack unless `debug` is set.
 */
export function reportError(err: unknown, options: ReportOptions): number {
  if (err instanceof CliError) {
    options.stderr.write(formatError(err, options.json))
    return err.exitCode
  }
  const first = (err instanceof Error ? err.message : String(err)).split('\n', 1)[0] ?? ''
  const message = `unexpected error: ${first}`
  if (options.json) {
    options.stderr.write(formatError(new CliError('CLI_INTERNAL', message), true))
  } else {
    options.stderr.write(`palisade: ${printable(message)} (set PALISADE_DEBUG=1 for details)\n`)
  }
  if (options.debug === true && err instanceof Error && err.stack !== undefined) options.stderr.write(err.stack + '\n')
  return 1
}
