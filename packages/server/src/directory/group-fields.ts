/**
 * The rules for a group's fields: name 1–100 characters, not blank, no
 * control characters, unique per org and kind ignoring case (the unique
 * index decides); description up to 1000 characters, where line breaks and
 * tabs are allowed but no other control character. Text is stored as NFC.
 */
import type { FieldError } from '../errors.js'
import { codePoints, textProblem } from './text-rules.js'

export const GROUP_KINDS = ['user', 'device'] as const
export type GroupKind = (typeof GROUP_KINDS)[number]
export const MAX_GROUP_NAME = 100
export const MAX_GROUP_DESCRIPTION = 1000

/** Checked group fields (only those given). */
export interface GroupFields {
  name?: string
  description?: string
}

/**
 * Checks and normalises `name` and `description` when given.
 *
 * @example
 * checkGroupFields({ name: 'Engineering' }) // { fields: { name: 'Engineering' }, errors: [] }
 */
export function checkGroupFields(input: { readonly name?: string; readonly description?: string }): { fields: GroupFields; errors: FieldError[] } {
  const fields: GroupFields = {}
  const errors: FieldError[] = []
  if (input.name !== undefined) {
    const name = input.name.normalize('NFC')
    const length = codePoints(name)
    const problem = textProblem(name)
    if (length < 1 || length > MAX_GROUP_NAME || name.trim() === '') errors.push({ path: '/body/name', message: `must be 1 to ${MAX_GROUP_NAME} characters, not blank` })
    else if (problem !== undefined) errors.push({ path: '/body/name', message: problem })
    else fields.name = name
  }
  if (input.description !== undefined) {
    const description = input.description.normalize('NFC')
    const problem = codePoints(description) > MAX_GROUP_DESCRIPTION
      ? `must be at most ${MAX_GROUP_DESCRIPTION} characters`
      : textProblem(description.replace(/[\t\n]/g, ' '))
    if (problem !== undefined) errors.push({ path: '/body/description', message: problem })
    else fields.description = description
  }
  return { fields, errors }
}
