/**
 * Device inventory as the server keeps it: the JSON object the agent
 * reported (a claim of the device, never trusted for anything but display
 * and queries), bounded in size, plus the OS name pulled out of it for
 * device lists and its packages for inventory queries (device-packages.ts).
 */
import { packagesOf, type ReportedPackage } from './device-packages.js'

/** Largest inventory stored, in bytes of JSON. */
export const MAX_INVENTORY_BYTES = 1024 * 1024

/** An inventory ready to store. */
export interface StoredInventory {
  readonly json: string
  /** `os.prettyName` (or name and version) when the agent reported one. */
  readonly os: string | null
  /** The installed packages it lists (device_packages rows). */
  readonly packages: readonly ReportedPackage[]
}

/**
 * Serialises an inventory object; undefined when it is larger than
 * {@link MAX_INVENTORY_BYTES}.
 *
 * @example
 * encodeInventory({ os: { prettyName: 'Debian GNU/Linux 12 (bookworm)' } })
 * // { json: '{"os":{…}}', os: 'Debian GNU/Linux 12 (bookworm)' }
 */
export function encodeInventory(inventory: Readonly<Record<string, unknown>>): StoredInventory | undefined {
  const json = JSON.stringify(inventory)
  if (Buffer.byteLength(json, 'utf8') > MAX_INVENTORY_BYTES) return undefined
  return { json, os: osName(inventory), packages: packagesOf(inventory) }
}

function osName(inventory: Readonly<Record<string, unknown>>): string | null {
  const os = inventory['os']
  if (typeof os !== 'object' || os === null) return null
  const o = os as Record<string, unknown>
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined)
  const name = text(o['prettyName']) ?? [text(o['name']), text(o['versionId'])].filter((x) => x !== undefined).join(' ')
  return name === '' ? null : name.slice(0, 200)
}
