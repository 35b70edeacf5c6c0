/**
 * Debian's Chromium driven by playwright-core (no browser download: the
 * browser comes from apt). Every page records console errors and page
 * errors; a test calls `assertClean()` to fail on any of them.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { REPO } from '../proc.js'

export const CHROMIUM = '/usr/bin/chromium'
/**
 * Where screenshots go: docs/screenshots/ (the README's images) only when
 * PALISADE_SCREENSHOTS=1 (`npm run screenshots`), so an ordinary test run
 * leaves the working tree as it found it; a temporary folder otherwise, so
 * the screenshot code still runs.
 */
export const SCREENSHOTS =
  process.env['PALISADE_SCREENSHOTS'] === '1' ? join(REPO, 'docs', 'screenshots') : join(tmpdir(), 'palisade-console-screenshots')
export const VIEWPORT = { width: 1366, height: 768 } as const

/** How long an install waits for another apt's dpkg lock (s). */
const APT_LOCK_WAIT_S = 600

/**
 * The Chromium executable, installing Debian's package when it is missing;
 * a string saying why when that is impossible (the caller skips).
 *
 * @example
 * const exe = ensureChromium(); if (typeof exe !== 'object') t.skip(exe)
 */
export function ensureChromium(): { path: string } | string {
  if (existsSync(CHROMIUM)) return { path: CHROMIUM }
  // Two browser test files run at once on a fresh machine: without a lock
  // timeout the second apt-get fails at once on the first one's dpkg lock,
  // and its tests were skipped. Waiting, it finds Chromium installed.
  const apt = (...args: string[]) =>
    spawnSync('apt-get', ['-o', `DPkg::Lock::Timeout=${APT_LOCK_WAIT_S}`, ...args], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  const install = apt('install', '-y', 'chromium')
  if (install.status !== 0 && !existsSync(CHROMIUM)) {
    apt('update')
    apt('install', '-y', 'chromium')
  }
  return existsSync(CHROMIUM) ? { path: CHROMIUM } : `Chromium is not installed at ${CHROMIUM} and \`apt-get install -y chromium\` failed: skipping the browser tests`
}

/** Starts headless Chromium. */
export function launch(path: string): Promise<Browser> {
  return chromium.launch({ executablePath: path, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] })
}

/** A console error a step expects: its text and the URL it names. */
export interface ExpectedConsoleError {
  readonly text: RegExp
  readonly url: RegExp
}

/**
 * What Chromium logs for every 4xx/5xx fetch: "Failed to load resource: the
 * server responded with a status of <status> (<reason>)", located at the URL.
 */
export function failedRequest(status: number, path: string): ExpectedConsoleError {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return {
    text: new RegExp(`^Failed to load resource: the server responded with a status of ${status} \\(`),
    url: new RegExp(`^https?://[^/]+${escaped}$`),
  }
}

/** A browser context (one admin's browser profile) whose pages record errors. */
export class Session {
  readonly errors: string[] = []
  /** Console errors the running step expects (expectConsoleError), with how many were seen. */
  #expected: { readonly e: ExpectedConsoleError; seen: number }[] = []
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly label: string,
  ) {}

  static async open(browser: Browser, baseURL: string, label: string): Promise<Session> {
    const context = await browser.newContext({ baseURL, viewport: VIEWPORT, acceptDownloads: false })
    context.setDefaultTimeout(15_000)
    const page = await context.newPage()
    const s = new Session(context, page, label)
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return
      const allowed = s.#expected.find((x) => x.e.text.test(msg.text()) && x.e.url.test(msg.location().url))
      if (allowed !== undefined) allowed.seen++
      else s.errors.push(`console error: ${msg.text()} (${msg.location().url})`)
    })
    page.on('pageerror', (err) => s.errors.push(`page error: ${err.message}`))
    return s
  }

  /**
   * Runs `step`, during which exactly one console error matching `expected`
   * must be logged (and is not counted as an error); any other error still
   * is. Fails when the expected one does not come, or comes twice.
   *
   * @example
   * await s.expectConsoleError(failedRequest(401, '/v1/auth/login'), () => signIn(s, 'alice'))
   */
  async expectConsoleError<T>(expected: ExpectedConsoleError, step: () => Promise<T>): Promise<T> {
    const entry = { e: expected, seen: 0 }
    this.#expected.push(entry)
    try {
      const logged = this.page.waitForEvent('console', {
        predicate: (m) => m.type() === 'error' && expected.text.test(m.text()) && expected.url.test(m.location().url),
      })
      const result = await step()
      await logged
      assert.equal(entry.seen, 1, `${this.label}: expected exactly one console error ${expected.text} at ${expected.url}, saw ${entry.seen}`)
      return result
    } finally {
      this.#expected = this.#expected.filter((x) => x !== entry)
    }
  }

  /** Fails with every console or page error seen so far. */
  assertClean(): void {
    if (this.errors.length > 0) throw new Error(`${this.label}: the console logged errors:\n${this.errors.join('\n')}`)
  }

  /** Saves a 1366×768 screenshot as <SCREENSHOTS>/<name>.png. */
  async screenshot(name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true })
    await this.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false })
  }

  close(): Promise<void> {
    return this.context.close()
  }
}
