/**
 * Reads one file of the built console, never anything outside it. Asset
 * names are checked against a closed pattern before any path is built (no
 * separators, no "..", no NUL), and the resolved real path must still lie
 * inside the console directory (a symlink planted in dist/ cannot lead out).
 */
import { readFile, realpath } from 'node:fs/promises'
import { extname, join, sep } from 'node:path'

/** Content types of the files Vite emits; any other extension is not served. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
})

/** An asset file name as Vite writes it: `index-BzT4x_1a.js`. */
export const ASSET_NAME_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/

/** A file read from the console directory. */
export interface StaticFile {
  readonly body: Buffer
  readonly contentType: string
}

/**
 * Reads `relative` (a path of checked segments, e.g. ['assets', name]) from
 * `root`; undefined when it does not exist, is not a servable type or
 * resolves outside `root`.
 *
 * @example
 * const f = await readStaticFile('/app/console/dist', ['assets', 'index-BzT4x_1a.js'])
 */
export async function readStaticFile(root: string, segments: readonly string[]): Promise<StaticFile | undefined> {
  if (segments.length === 0 || !segments.every((s) => ASSET_NAME_RE.test(s) && s !== '.' && s !== '..')) return undefined
  const contentType = CONTENT_TYPES[extname(segments[segments.length - 1]!).toLowerCase()]
  if (contentType === undefined) return undefined
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(join(root, ...segments))])
    if (!realFile.startsWith(realRoot + sep)) return undefined
    return { body: await readFile(realFile), contentType }
  } catch {
    return undefined // missing, a directory, unreadable: all "not found"
  }
}
