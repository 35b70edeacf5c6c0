/**
 * Which devices a command targets, from `--targets all`, `--targets
 * dev-1,dev-2` or `--targets-file FILE` (one id per line; blank lines and
 * `#` comments ignored). The ids are sorted and deduplicated, so one device
 * set has one signed spelling (protocol command/payload.ts), and a set of
 * more than MAX_EXPLICIT_TARGETS ids becomes a Merkle commitment over the
 * ids (protocol merkleTargets); the server then needs the id list itself
 * (`targetIds`) to hand each device its membership proof.
 */
import { ID_RE, merkleTargets, type Targets } from '@palisade/protocol'
import { CliError } from '../errors.js'
import { quote } from '../validate.js'

/** Up to this many ids are listed in the payload; more become a commitment. */
export const MAX_EXPLICIT_TARGETS = 1000
/** The most ids one command may target. */
export const MAX_TARGET_IDS = 1_000_000

/** What the user asked for: every device, or these ids. */
export type TargetSpec = { readonly kind: 'all' } | { readonly kind: 'ids'; readonly ids: readonly string[] }

/** The payload's targets, and the id list to send along with a commitment. */
export interface TargetSelection {
  readonly targets: Targets
  readonly targetIds?: readonly string[]
}

/**
 * Parses `--targets`: `all`, or device ids separated by commas.
 *
 * @example
 * parseTargetsOption('dev-2,dev-1') // { kind: 'ids', ids: ['dev-2', 'dev-1'] }
 */
export function parseTargetsOption(value: string): TargetSpec {
  if (value.trim() === 'all') return { kind: 'all' }
  const ids = value.split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (ids.length === 0) throw new CliError('CLI_ARG_INVALID', 'invalid --targets: give `all` or device ids separated by commas')
  ids.forEach((id) => checkId(id, '--targets'))
  return { kind: 'ids', ids }
}

/**
 * Parses the text of a targets file: one device id per line, `#` starts a
 * comment. Errors name the line.
 */
export function parseTargetsFile(text: string, path: string): string[] {
  const ids: string[] = []
  text.split('\n').forEach((line, i) => {
    const id = (line.split('#', 1)[0] ?? '').trim()
    if (id === '') return
    checkId(id, `${path} line ${i + 1}`)
    ids.push(id)
  })
  if (ids.length === 0) throw new CliError('CLI_ARG_INVALID', `${path} lists no device ids`)
  return ids
}

/**
 * The targets to sign: `all`, a sorted unique id list, or (above
 * MAX_EXPLICIT_TARGETS ids) a Merkle commitment plus the sorted ids.
 *
 * @example
 * selectTargets({ kind: 'ids', ids: ['b', 'a', 'a'] }).targets // { kind: 'devices', ids: ['a', 'b'] }
 */
export function selectTargets(spec: TargetSpec): TargetSelection {
  if (spec.kind === 'all') return { targets: { kind: 'all' } }
  // UTF-16 order is byte order for ids, which are ASCII (ID_RE)
  const ids = [...new Set(spec.ids)].sort()
  if (ids.length > MAX_TARGET_IDS) {
    throw new CliError('CLI_ARG_INVALID', `too many target devices: ${ids.length} (at most ${MAX_TARGET_IDS})`)
  }
  if (ids.length <= MAX_EXPLICIT_TARGETS) return { targets: { kind: 'devices', ids } }
  return { targets: merkleTargets(ids), targetIds: ids }
}

function checkId(id: string, where: string): void {
  if (!ID_RE.test(id)) {
    throw new CliError('CLI_ARG_INVALID', `invalid device id ${quote(id)} in ${where}: an id is 1 to 64 of A-Z a-z 0-9 _ - and starts with a letter or digit`)
  }
}
