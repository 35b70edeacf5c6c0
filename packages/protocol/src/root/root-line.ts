/**
 * The root line: a checkpoint extension line (c2sp.org/tlog-checkpoint
 * item 4) that binds the org root in force into what the log signs and the
 * witnesses cosign:
 *
 *     palisade-root <version> <fingerprint>
 *
 * `version` is a positive decimal without leading zeros, `fingerprint` the
 * root's 64 lower-case hex digits (rootFingerprint). A device compares it
 * with its own newest root (verifyCommand): a server that withholds a root
 * update must then get witnesses to cosign a checkpoint naming the old root,
 * and witnesses told of the new one refuse.
 *
 * Guarantees: one spelling per value; `formatRootLine(parseRootLine(l)) === l`
 * for every line parseRootLine accepts. Trusts nothing.
 */
import { fail } from '../errors.js'
import { FINGERPRINT_RE } from './fingerprint.js'

/** The keyword that starts a root line. */
export const ROOT_LINE_PREFIX = 'palisade-root'

export interface RootLine {
  readonly version: number
  readonly fingerprint: string
}

const LINE = /^palisade-root ([1-9][0-9]*) ([0-9a-f]{64})$/

/**
 * @example
 * formatRootLine({ version: 2, fingerprint: 'ab'.repeat(32) }) // 'palisade-root 2 abab…ab'
 */
export function formatRootLine(line: RootLine): string {
  if (!Number.isSafeInteger(line.version) || line.version < 1) fail('PROTO_MALFORMED', 'a root line version is a positive integer')
  if (typeof line.fingerprint !== 'string' || !FINGERPRINT_RE.test(line.fingerprint)) {
    fail('PROTO_MALFORMED', 'a root line fingerprint is 64 lower-case hex digits')
  }
  return `${ROOT_LINE_PREFIX} ${line.version} ${line.fingerprint}`
}

/** True when an extension line claims to be a root line (starts with the keyword). */
export function isRootLine(extension: string): boolean {
  return extension === ROOT_LINE_PREFIX || extension.startsWith(`${ROOT_LINE_PREFIX} `)
}

/** Parses one root line; PROTO_MALFORMED when it is not exactly one. */
export function parseRootLine(text: string): RootLine {
  const m = LINE.exec(text)
  if (m === null) fail('PROTO_MALFORMED', 'not a root line ("palisade-root <version> <64 hex fingerprint>")')
  const version = Number(m[1])
  if (!Number.isSafeInteger(version)) fail('PROTO_MALFORMED', 'root line version exceeds 2^53-1')
  return Object.freeze({ version, fingerprint: m[2]! })
}

/**
 * The root line of a checkpoint's extension lines: exactly one line must
 * start with the keyword, and it must parse. Other extension lines are
 * ignored (forward compatibility). PROTO_MALFORMED otherwise.
 */
export function checkpointRootLine(extensions: readonly string[]): RootLine {
  const lines = extensions.filter(isRootLine)
  if (lines.length !== 1) {
    fail('PROTO_MALFORMED', `a checkpoint of an org log carries exactly one "${ROOT_LINE_PREFIX}" line; this one has ${lines.length}`)
  }
  return parseRootLine(lines[0]!)
}
