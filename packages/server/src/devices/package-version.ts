/**
 * Package version ordering for inventory queries ("below version V"),
 * following dpkg (deb-version(7), dpkg's verrevcmp): `[epoch:]upstream[-revision]`;
 * epochs compare as numbers, then upstream, then revision, each by
 * alternating non-digit runs (letters sort before other characters, `~`
 * before everything, even the end of the string: 1.0~rc1 < 1.0) and digit
 * runs (as numbers, leading zeros ignored). rpm versions (rpmvercmp)
 * order the same way for the usual `version-release` strings; where they
 * differ (rpm ignores punctuation and treats `^` specially) the dpkg rule
 * is applied, as documented in WIRE.md.
 */

/**
 * Negative when `a` sorts before `b`, positive after, 0 when equal.
 *
 * @example
 * compareVersions('3.0.13-1', '3.0.14') < 0 // true
 * compareVersions('1:1.0', '2.0') > 0 // true (epoch)
 * compareVersions('1.0~rc1', '1.0') < 0 // true
 */
export function compareVersions(a: string, b: string): number {
  const x = split(a)
  const y = split(b)
  return compareNumbers(x.epoch, y.epoch) || compareParts(x.upstream, y.upstream) || compareParts(x.revision, y.revision)
}

interface Parsed {
  readonly epoch: string
  readonly upstream: string
  readonly revision: string
}

function split(v: string): Parsed {
  const colon = v.indexOf(':')
  const hasEpoch = colon > 0 && /^[0-9]+$/.test(v.slice(0, colon))
  const rest = hasEpoch ? v.slice(colon + 1) : v
  const dash = rest.lastIndexOf('-')
  return {
    epoch: hasEpoch ? v.slice(0, colon) : '0',
    upstream: dash >= 0 ? rest.slice(0, dash) : rest,
    revision: dash >= 0 ? rest.slice(dash + 1) : '',
  }
}

/** Digit strings compared as numbers of any length. */
function compareNumbers(a: string, b: string): number {
  const x = a.replace(/^0+/, '')
  const y = b.replace(/^0+/, '')
  if (x.length !== y.length) return x.length - y.length
  return x < y ? -1 : x > y ? 1 : 0
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57
const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122)

/** dpkg's `order`: end and digits 0, `~` -1, letters by code, anything else after all letters. */
function order(s: string, i: number): number {
  if (i >= s.length) return 0
  const c = s.charCodeAt(i)
  if (isDigit(c)) return 0
  if (isLetter(c)) return c
  if (c === 126) return -1
  return c + 256
}

/** dpkg's verrevcmp. */
function compareParts(a: string, b: string): number {
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const d = order(a, i) - order(b, j)
      if (d !== 0) return d
      i++
      j++
    }
    const si = i
    const sj = j
    while (i < a.length && isDigit(a.charCodeAt(i))) i++
    while (j < b.length && isDigit(b.charCodeAt(j))) j++
    const d = compareNumbers(a.slice(si, i) || '0', b.slice(sj, j) || '0')
    if (d !== 0) return d
  }
  return 0
}
