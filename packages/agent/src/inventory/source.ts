/**
 * What every inventory collector shares.
 *
 * Guarantees: a collector never throws because its source is missing,
 * unreadable or malformed (a machine without rpm, a container without
 * /proc/mounts); it returns null or an empty list and appends one line to
 * `notes` saying why, so the server can tell "no packages" from "could not
 * look". Notes never contain file contents, only the source and the reason.
 */

/** Options every collector accepts. */
export interface SourceOptions {
  /** Where to append "source: reason" lines; collectInventory passes one shared array. */
  readonly notes?: string[] | undefined
}

/** Appends a note for `source`, if the caller wants notes. */
export function addNote(opts: SourceOptions, source: string, reason: string): void {
  opts.notes?.push(`${source}: ${reason}`)
}

/** A short reason from anything thrown: a Node system error code if there is one, else the message. */
export function reasonOf(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
    const message = (e as { message?: unknown }).message
    if (typeof message === 'string') return message
  }
  return String(e)
}
