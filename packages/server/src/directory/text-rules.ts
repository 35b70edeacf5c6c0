/**
 * Character rules shared by every free-text field of the directory. JSON
 * lets a client send control characters and lone UTF-16 surrogates; the
 * first corrupt terminals and logs, the second cannot be stored as UTF-8
 * (PostgreSQL refuses it), so both are refused at the edge, naming the field.
 */

// C0, DEL, C1, and the Unicode line and paragraph separators.
const CONTROL = /[\p{Cc}\u2028\u2029]/u
// With the u flag a valid surrogate pair is one code point: only lone halves match.
const LONE_SURROGATE = /\p{Cs}/u

/**
 * Why `text` may not be stored, or undefined when it may.
 *
 * @example
 * textProblem('Ada\u0007') // 'must not contain control characters'
 * textProblem('Ada')       // undefined
 */
export function textProblem(text: string): string | undefined {
  if (LONE_SURROGATE.test(text)) return 'is not well-formed Unicode'
  if (CONTROL.test(text)) return 'must not contain control characters'
  return undefined
}

/**
 * The length of `text` in code points (what a person counts), not UTF-16 units.
 *
 * @example
 * codePoints('é🙂') // 2
 */
export function codePoints(text: string): number {
  let n = 0
  for (const _ of text) n++
  return n
}
