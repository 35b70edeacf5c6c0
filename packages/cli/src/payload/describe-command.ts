/**
 * What an admin sees before signing a command: every field that decides
 * what runs, where, as whom and when, taken from the parsed payload (never
 * from the server's own summary), and a digest of the exact bytes so that
 * co-signers can compare what they sign over another channel.
 */
import { createHash } from 'node:crypto'
import { toHex, type CommandPayload } from '@palisade/protocol'
import { formatDuration } from '../args/duration.js'
import { formatFields } from '../io/output.js'

/** Ids listed in full before the list is cut. */
const SHOWN_IDS = 20

/**
 * The SHA-256 of the payload bytes, lower-case hex: the same for every admin
 * who looks at the same command.
 */
export function payloadDigest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** A one-line description of the targets. */
export function describeTargets(p: CommandPayload): string {
  const t = p.targets
  switch (t.kind) {
    case 'all':
      return 'ALL devices of the org'
    case 'devices': {
      const shown = t.ids.slice(0, SHOWN_IDS).join(', ')
      const more = t.ids.length > SHOWN_IDS ? `, … (${t.ids.length - SHOWN_IDS} more)` : ''
      return `${t.ids.length} device${t.ids.length === 1 ? '' : 's'}: ${shown}${more}`
    }
    case 'merkle':
      return `${t.count} devices, committed to by Merkle root ${toHex(t.root)} (the list itself is not in the payload)`
  }
}

/** The validity window in words, relative to `now` (unix seconds). */
export function describeValidity(p: CommandPayload, now: number): string {
  const iso = (s: number): string => new Date(s * 1000).toISOString()
  const window = `${iso(p.notBefore)} to ${iso(p.notAfter)} (${formatDuration(p.notAfter - p.notBefore)})`
  if (now > p.notAfter) return `${window}: EXPIRED`
  if (now < p.notBefore) return `${window}: starts in ${formatDuration(p.notBefore - now)}`
  return `${window}: ends in ${formatDuration(p.notAfter - now)}`
}

/**
 * The fields to review, then the script, indented.
 *
 * @example
 * process.stderr.write(describeCommand(payload, bytes, now))
 */
export function describeCommand(p: CommandPayload, bytes: Uint8Array, now: number): string {
  const fields = formatFields([
    ['command', p.id],
    ['org', p.org],
    ['targets', describeTargets(p)],
    ['run as', p.runAs],
    ['interpreter', p.interpreter],
    ['timeout', formatDuration(p.timeoutSeconds)],
    ['valid', describeValidity(p, now)],
    ['payload sha256', payloadDigest(bytes)],
  ])
  const shown = visible(p.script)
  const script = shown.replace(/\n$/, '').split('\n').map((l) => `    ${l}`).join('\n')
  const warning = shown === p.script ? '' : 'WARNING: the script contains invisible or direction-changing characters, shown as \\u escapes\n'
  return `${fields}${warning}script:\n${script}\n`
}

// Bidirectional overrides and zero-width characters make text read
// differently from what it is ("Trojan Source", CVE-2021-42574); the
// terminal printer escapes control characters but not these.
const DECEPTIVE = /[\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]/g

/**
 * `text` with invisible and direction-changing characters replaced by
 * visible `\uXXXX` escapes, so an admin reviews what will actually run.
 *
 * @example
 * visible('rm -rf /tmp\u202e') // 'rm -rf /tmp\\u202e'
 */
export function visible(text: string): string {
  return text.replace(DECEPTIVE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
