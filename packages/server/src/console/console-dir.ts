/**
 * Where the built console (packages/console/dist) is: the directory named by
 * PALISADE_CONSOLE_DIR, else the `dist` folder of the `@palisade/console`
 * workspace package. Located once at startup; whether it is built is
 * checked per request, so `npm run build` while the server runs is picked up.
 */
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join, resolve } from 'node:path'

/** The environment variable that overrides the console's location. */
export const CONSOLE_DIR_ENV = 'PALISADE_CONSOLE_DIR'

/**
 * The console's directory, or undefined when neither the setting nor the
 * package can be found. Throws when PALISADE_CONSOLE_DIR is set to
 * something that is not an absolute path (a relative one would depend on
 * the working directory the service manager happens to use).
 *
 * @example
 * consoleDir({ PALISADE_CONSOLE_DIR: '/srv/palisade/console' }) // '/srv/palisade/console'
 */
export function consoleDir(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const configured = env[CONSOLE_DIR_ENV]
  if (configured !== undefined && configured !== '') {
    if (!isAbsolute(configured) || configured.includes('\0')) {
      throw new Error(`${CONSOLE_DIR_ENV} must be an absolute directory path, got ${JSON.stringify(configured.slice(0, 200))}`)
    }
    return resolve(configured)
  }
  try {
    const pkg = createRequire(import.meta.url).resolve('@palisade/console/package.json')
    return join(dirname(pkg), 'dist')
  } catch {
    return undefined
  }
}
