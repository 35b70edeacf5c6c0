/**
 * Every failure the `palisade` CLI reports carries one of these stable codes,
 * a human message, and a hint that says what to do next.
 *
 * Codes are API: scripts branch on them (`--json` prints them), and support
 * searches for them. A published code keeps its meaning and is never reused
 * for something else; a retired code stays in this table, marked retired.
 * Messages and hints may change; codes may not.
 *
 * Errors never carry a passphrase, a seed or an API token, not even in
 * `details`: they are printed.
 */

/** One entry of the code table: what the code means, the default hint, the exit status. */
export interface CliErrorDoc {
  readonly summary: string
  readonly hint: string
  /** 2 for "the command line itself is wrong", 3 for "palisade monitor --once saw an anomaly", 1 for everything else. */
  readonly exit: 1 | 2 | 3
}

/** The documented codes. Each has a summary, a default hint and an exit status. */
export const CLI_ERROR_CODES = {
  CLI_USAGE: {
    summary: 'the command line is not understood (unknown command or option, missing argument)',
    hint: 'run `palisade --help`, or `palisade <command> --help`',
    exit: 2,
  },
  CLI_ARG_INVALID: {
    summary: 'a command-line argument has an invalid value',
    hint: 'run the command with --help to see what each argument accepts',
    exit: 2,
  },
  CLI_PASSPHRASE_REQUIRED: {
    summary: 'a passphrase is needed and none could be obtained',
    hint: 'pass --passphrase-file <path>, set PALISADE_PASSPHRASE, or run in a terminal to be prompted',
    exit: 1,
  },
  CLI_PASSPHRASE_FILE: {
    summary: 'the passphrase file cannot be read, or is empty or too large',
    hint: 'check the path given to --passphrase-file; the first line of the file is the passphrase',
    exit: 1,
  },
  CLI_PASSPHRASE_WEAK: {
    summary: 'a new passphrase is too short (or too long)',
    hint: 'choose a passphrase of at least 12 characters; a few random words work well',
    exit: 1,
  },
  CLI_PASSPHRASE_MISMATCH: {
    summary: 'the two passphrases typed at the prompt differ',
    hint: 'run the command again and type the same passphrase twice',
    exit: 1,
  },
  CLI_ABORTED: {
    summary: 'the user interrupted a prompt',
    hint: 'nothing was changed',
    exit: 1,
  },
  CLI_KEY_PASSPHRASE: {
    summary: 'a key could not be unlocked: the passphrase is wrong (or the key file was altered)',
    hint: 'check the passphrase; if it is right, restore the key file from a backup',
    exit: 1,
  },
  CLI_KEY_NOT_FOUND: {
    summary: 'no key of that name is in the keystore',
    hint: 'run `palisade key list` to see the keys on this machine',
    exit: 1,
  },
  CLI_KEY_EXISTS: {
    summary: 'a key of that name already exists; keys are never overwritten',
    hint: 'choose another --name, or move the existing key file away first',
    exit: 1,
  },
  CLI_KEYSTORE_CORRUPT: {
    summary: 'a key file is malformed, truncated, or does not match its file name',
    hint: 'move the named file out of the keystore and restore it from a backup',
    exit: 1,
  },
  CLI_HOME_INSECURE: {
    summary: 'the palisade home directory is writable by other users',
    hint: 'run `chmod 700` on the directory, or choose another one with --home',
    exit: 1,
  },
  CLI_IO: {
    summary: 'a local file or directory could not be read or written',
    hint: 'check that the path exists and that you have permission to use it',
    exit: 1,
  },
  CLI_CONFIG_INVALID: {
    summary: 'the config file is malformed or holds an invalid value',
    hint: 'fix or remove the named config file',
    exit: 1,
  },
  CLI_CONFIG_INSECURE: {
    summary: 'the config file holds an API token but other users can read it',
    hint: 'run `chmod 600` on the config file',
    exit: 1,
  },
  CLI_SERVER_REQUIRED: {
    summary: 'the command talks to the server but no server URL is configured',
    hint: 'pass --server <url> or set PALISADE_SERVER',
    exit: 1,
  },
  CLI_SERVER_UNREACHABLE: {
    summary: 'the server could not be reached (refused, unknown host, timeout, TLS failure)',
    hint: 'is `palisade server` running, and is the --server URL right?',
    exit: 1,
  },
  CLI_SERVER_REFUSED: {
    summary: 'the server answered with an error (an RFC 9457 problem); details carry its code and HTTP status',
    hint: 'read the server\'s reason above; `details.serverCode` (with --json) says which check refused',
    exit: 1,
  },
  CLI_SERVER_RESPONSE: {
    summary: 'the server sent an answer that is not what the API promises (malformed, wrong shape, too large, a redirect)',
    hint: 'check that --server points at a palisade server of a matching version',
    exit: 1,
  },
  CLI_SERVER_START: {
    summary: '`palisade server` could not start (invalid setting, address in use, database unavailable)',
    hint: 'read the reason above; `palisade server --help` lists the settings',
    exit: 1,
  },
  CLI_SERVER_UNTRUSTED: {
    summary: 'the server sent data that contradicts what this machine signed, sent or pinned (altered payload, another org, another root)',
    hint: 'do not sign or install anything from this server; compare with another admin and inspect the server',
    exit: 1,
  },
  CLI_LOGIN_REQUIRED: {
    summary: 'the command needs an org and an API key, and the config has none (or they belong to another server)',
    hint: 'run `palisade login --server <url> --org <id> --api-key-file <file>`, or set up an org with `palisade org init`',
    exit: 1,
  },
  CLI_FINGERPRINT_REQUIRED: {
    summary: 'no root fingerprint is pinned for the org, and the command must check the server against one',
    hint: 'pass --fingerprint <fp> (from the admin who ran `palisade org init`), or pin it with `palisade login --fingerprint <fp>`',
    exit: 1,
  },
  CLI_ROOT_DRAFT_INVALID: {
    summary: 'a root draft file is malformed, or the root or a signature in it is invalid',
    hint: 'get a fresh draft from the admin who ran `palisade org init --out`',
    exit: 1,
  },
  CLI_ROOT_UNDERSIGNED: {
    summary: 'the root carries fewer valid admin signatures than its root threshold',
    hint: 'write a draft with --out, have other admins sign it with `palisade root sign <file> --key <name>`, then upload it with --root',
    exit: 1,
  },
  CLI_KEY_NOT_ADMIN: {
    summary: 'the signing key is not one of the admin keys of the root',
    hint: 'sign with a key the root lists (`palisade key list` shows the keys on this machine)',
    exit: 1,
  },
  CLI_CONFIRMATION_REQUIRED: {
    summary: 'the command asks for confirmation before signing and there is no terminal to ask on',
    hint: 'review what will be signed, then pass --yes',
    exit: 1,
  },
  CLI_COMMAND_FAILED: {
    summary: 'the command did not succeed on every target device (non-zero exit, timeout, rejection, no result)',
    hint: 'see the per-device results above',
    exit: 1,
  },
  CLI_COMMAND_INCOMPLETE: {
    summary: 'not every target device has answered yet (or waiting timed out first)',
    hint: 'run `palisade command status <id> --wait`, with a longer --timeout if needed',
    exit: 1,
  },
  CLI_AUDIT_FAILED: {
    summary: 'the log audit found failures: the log the server serves is not one the org\'s keys and witnesses vouch for',
    hint: 'treat the server as compromised until the failures are explained; keep this output as evidence',
    exit: 1,
  },
  CLI_WITNESS_REFUSED: {
    summary: 'fewer witnesses than the root\'s quorum acknowledged the new root chain (POST /add-root), so it was not uploaded to the server',
    hint: 'read each witness\'s answer above; fix or reach them (each must know the log: `palisade witness add-log --key … --root-fingerprint …`), then run `palisade root upload` again',
    exit: 1,
  },
  CLI_MONITOR_ANOMALIES: {
    summary: '`palisade monitor --once` saw at least one anomaly (MON_* lines on stdout)',
    hint: 'read the MON_* lines above; a fork, a bad signature or a bad proof means the server lied: treat it as compromised',
    exit: 3,
  },
  CLI_INTERNAL: {
    summary: 'an unexpected error: a bug in palisade',
    hint: 'set PALISADE_DEBUG=1 to see the stack trace, and report it',
    exit: 1,
  },
} as const satisfies Record<`CLI_${string}`, CliErrorDoc>

/** A stable, machine-readable reason. */
export type CliErrorCode = keyof typeof CLI_ERROR_CODES

/** Options of a CliError; every field is optional. */
export interface CliErrorOptions {
  /** What the user should do; defaults to the code's documented hint. */
  readonly hint?: string
  /** The server the command was talking to, when it was talking to one. */
  readonly server?: string
  readonly cause?: unknown
  /** Evidence for scripts (printed in --json mode). Never secrets. */
  readonly details?: Readonly<Record<string, string | number | boolean>>
}

/**
 * The one error class of the CLI. `bin.ts` prints its message and hint
 * without a stack trace and exits with `exitCode`.
 *
 * @example
 * throw new CliError('CLI_KEY_NOT_FOUND', `no key named "ops" in ${dir}`)
 * // palisade: no key named "ops" in /home/me/.palisade
 * //   hint: run `palisade key list` to see the keys on this machine
 */
export class CliError<C extends CliErrorCode = CliErrorCode> extends Error {
  override readonly name = 'CliError'
  readonly code: C
  readonly hint: string
  readonly server: string | undefined
  readonly details: Readonly<Record<string, string | number | boolean>> | undefined

  constructor(code: C, message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.hint = options.hint ?? CLI_ERROR_CODES[code].hint
    this.server = options.server
    this.details = options.details === undefined ? undefined : Object.freeze({ ...options.details })
  }

  /** The process exit status for this error: 2 for usage errors, 3 for monitor anomalies, else 1. */
  get exitCode(): 1 | 2 | 3 {
    return CLI_ERROR_CODES[this.code].exit
  }
}

/** True when `e` is a CliError, optionally with the given code. */
export function isCliError<C extends CliErrorCode>(e: unknown, code?: C): e is CliError<C> {
  return e instanceof CliError && (code === undefined || e.code === code)
}

// Node's network errors (and undici's `fetch failed`, whose cause holds them)
// carry a system code; these are the ones a user can act on.
const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate chain is not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
}

function systemCode(e: unknown): string | undefined {
  for (let cur = e, depth = 0; typeof cur === 'object' && cur !== null && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code
    if (typeof code === 'string' && code in NETWORK_REASONS) return code
    cur = (cur as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * Translates a failed connection (a Node socket error, or `fetch`'s
 * TypeError whose cause is one) into CLI_SERVER_UNREACHABLE, at the
 * boundary where the CLI talks to the server.
 *
 * @example
 * try { await fetch(url) } catch (e) { throw serverUnreachable(server, e) }
 * // palisade: cannot reach the server at http://127.0.0.1:8080: connection refused
 * //   hint: is `palisade server` running, and is the --server URL right?
 */
export function serverUnreachable(server: string, cause: unknown): CliError<'CLI_SERVER_UNREACHABLE'> {
  const code = systemCode(cause)
  const reason = code === undefined ? 'the connection failed' : NETWORK_REASONS[code]!
  return new CliError('CLI_SERVER_UNREACHABLE', `cannot reach the server at ${server}: ${reason}`, {
    server,
    cause,
    ...(code === undefined ? {} : { details: { reason: code } }),
  })
}

/**
 * Wraps a failed file-system call as CLI_IO naming the path (and the system
 * code, which says more than any sentence we could write).
 */
export function ioError(action: string, path: string, cause: unknown): CliError<'CLI_IO'> {
  const code = (cause as { code?: unknown } | null)?.code
  const why = typeof code === 'string' ? ` (${code})` : ''
  return new CliError('CLI_IO', `cannot ${action} ${path}${why}`, { cause, details: { path } })
}
