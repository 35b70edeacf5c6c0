/**
 * The root fingerprint this browser pins per org. The browser trusts
 * nothing the server says about the org's root: it verifies the chain of
 * roots from this fingerprint, which an admin types in (from `palisade org
 * init`, or a colleague) — or, the first time, accepts after comparing it.
 */
const key = (org: string): string => `palisade.pin.${org}`

/** The pinned root v1 fingerprint of `org`, if any. */
export function pinnedFingerprint(org: string): string | undefined {
  const v = localStorage.getItem(key(org))
  return v !== null && /^[0-9a-f]{64}$/.test(v) ? v : undefined
}

/** Pins `fingerprint` (64 lower-case hex digits) for `org`. */
export function pinFingerprint(org: string, fingerprint: string): void {
  const fp = fingerprint.trim().toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(fp)) throw new Error('a root fingerprint is 64 hex digits')
  localStorage.setItem(key(org), fp)
}

/** Forgets the pin of `org`. */
export function unpin(org: string): void {
  localStorage.removeItem(key(org))
}
