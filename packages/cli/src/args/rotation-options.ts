/**
 * Options of `palisade root rotate` that org init does not have: a
 * threshold change names only the kinds that change
 * (`--threshold root=3,command=2`, or one number for all four).
 */
import { ACTION_KINDS, type ActionKind } from '@palisade/protocol'
import { CliError } from '../errors.js'
import { quote } from '../validate.js'

/**
 * Parses `--threshold` of a rotation: `KIND=N` for some of the kinds, or
 * one number for all of them.
 *
 * @example
 * parseThresholdChangesOption('root=3') // { root: 3 }
 */
export function parseThresholdChangesOption(value: string): Readonly<Partial<Record<ActionKind, number>>> {
  const invalid = (why: string): never => {
    throw new CliError('CLI_ARG_INVALID', `invalid --threshold ${quote(value)}: ${why}`, {
      hint: `give KIND=N for the kinds that change, e.g. --threshold root=3,command=2 (kinds: ${ACTION_KINDS.join(', ')}), or one number for all`,
    })
  }
  const count = (s: string): number => (/^[1-9]\d?$/.test(s) ? Number(s) : invalid(`${quote(s)} is not a number from 1 to 99`))
  if (/^\d+$/.test(value)) {
    const n = count(value)
    return Object.fromEntries(ACTION_KINDS.map((k) => [k, n])) as Record<ActionKind, number>
  }
  const out: Partial<Record<ActionKind, number>> = {}
  for (const part of value.split(',')) {
    const [kind, n, extra] = part.trim().split('=')
    if (extra !== undefined || n === undefined) return invalid(`${quote(part)} is not KIND=N`)
    if (!(ACTION_KINDS as readonly string[]).includes(kind!)) return invalid(`unknown kind ${quote(kind!)}`)
    if (out[kind as ActionKind] !== undefined) return invalid(`${kind} is given twice`)
    out[kind as ActionKind] = count(n)
  }
  return out
}
