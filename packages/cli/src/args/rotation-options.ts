/**
 * Options of `palisade root rotate` that org init does not have: a
 * threshold change names only the kinds that change
 * (`--threshold root=3,command=2`, or one number for all four).
 */
import { ACTION_KINDS, type ActionKind } from '@palisade/protocol'
import { parseKindCounts } from './root-options.js'

/**
 * Parses `--threshold` of a rotation: `KIND=N` for some of the kinds, or
 * one number for all of them.
 *
 * @example
 * parseThresholdChangesOption('root=3') // { root: 3 }
 */
export function parseThresholdChangesOption(value: string): Readonly<Partial<Record<ActionKind, number>>> {
  return parseKindCounts(
    value,
    `give KIND=N for the kinds that change, e.g. --threshold root=3,command=2 (kinds: ${ACTION_KINDS.join(', ')}), or one number for all`,
  )
}
