/**
 * A command's database key. Admins choose a command's id (it is inside the
 * signed payload, and devices and results name it), so two orgs may pick
 * the same one; the key `<org>/<id>` keeps them apart without one org ever
 * learning that another used an id. Neither part can contain "/" (ORG_ID_RE,
 * ID_RE), so the key splits back unambiguously.
 */

/**
 * @example
 * commandKey('acme', 'cmd-1') // 'acme/cmd-1'
 */
export function commandKey(org: string, id: string): string {
  return `${org}/${id}`
}

/**
 * The admin-chosen id inside a key.
 *
 * @example
 * commandIdOf('acme/cmd-1') // 'cmd-1'
 */
export function commandIdOf(key: string): string {
  return key.slice(key.indexOf('/') + 1)
}
