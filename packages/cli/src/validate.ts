/**
 * Validation of the values a user types on the command line, at the edge:
 * every argument is checked here before it reaches a file name, a URL or a
 * request. Each parser returns the value to use or throws CLI_ARG_INVALID
 * with a sentence that says what is accepted.
 *
 * The parsers have commander's `(value, previous) => parsed` shape, so a
 * command passes them straight to `.option()` / `.argument()`.
 */
import { CliError } from './errors.js'

/** Key names (and other local names) are 1–64 of A–Z a–z 0–9 . _ @ - */
export const NAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/

/** True for a valid key name. */
export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name)
}

/**
 * Quotes user input for a message: JSON escapes make control characters
 * and terminal escape sequences visible instead of acting on the terminal,
 * and long input is cut.
 */
export function quote(value: string, max = 80): string {
  const cut = value.length > max ? value.slice(0, max) + '…' : value
  return JSON.stringify(cut)
}

/**
 * Parses a key name.
 *
 * @example
 * new Option('--name <name>', 'key name').argParser(parseName)
 */
export function parseName(value: string): string {
  if (!isValidName(value)) {
    throw new CliError('CLI_ARG_INVALID', `invalid name ${quote(value)}: a name is 1 to 64 characters from A-Z a-z 0-9 . _ @ -`, {
      hint: 'for example: --name alice, --name ops-laptop, --name alice@example.com',
    })
  }
  return value
}

/**
 * Parses a server URL: http or https, a host, no credentials, no query or
 * fragment. Returns it normalised without a trailing slash, so paths can be
 * appended with `${url}/v1/...`.
 *
 * @example
 * parseServerUrl('https://palisade.example.com/') // 'https://palisade.example.com'
 */
export function parseServerUrl(value: string): string {
  let shown = value
  const bad = (why: string): never => {
    throw new CliError('CLI_ARG_INVALID', `invalid server URL ${quote(shown)}: ${why}`, {
      hint: 'give the server base URL, for example --server https://palisade.example.com',
    })
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return bad('not a URL')
  }
  const credentials = url.username !== '' || url.password !== ''
  if (credentials || url.search !== '') {
    // never echo a password, or a token passed as a query parameter
    shown = `${url.protocol}//${credentials ? '***@' : ''}${url.host}${url.pathname}${url.search !== '' ? '?…' : ''}`
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') bad('only http:// and https:// are supported')
  if (url.hostname === '') bad('the host is missing')
  if (credentials) bad('credentials do not belong in the URL (use an API token)')
  if (url.search !== '' || url.hash !== '') bad('a query or fragment is not allowed')
  return url.href.replace(/\/+$/, '')
}

/**
 * Parses a directory path given on the command line: non-empty, no NUL.
 * Existence and permissions are checked where the directory is used.
 */
export function parseDirectory(value: string): string {
  if (value === '' || value.includes('\0')) {
    throw new CliError('CLI_ARG_INVALID', `invalid directory ${quote(value)}`)
  }
  return value
}
