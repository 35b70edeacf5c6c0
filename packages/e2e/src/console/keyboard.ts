/**
 * Keyboard-only driving of a page: Tab until a control has the focus,
 * checking at every stop that the focus is visible (the element matches
 * :focus-visible and draws an outline), and a sweep proving that every
 * visible control of a page can be reached with Tab.
 */
import assert from 'node:assert/strict'
import type { Locator, Page } from 'playwright-core'

// The functions given to evaluate() run in the page, where these exist; this
// package compiles without the DOM library, so they are declared loosely here.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any
declare function getComputedStyle(el: any): { outlineStyle: string; outlineWidth: string }
type HTMLElement = any
declare const HTMLInputElement: any
/** Whether `el` has the focus (runs in the page). */
export const isFocused = (el: any): boolean => el === document.activeElement

/** The focused element, described for messages; fails when its focus is not visible. */
async function focusedVisibly(page: Page): Promise<string> {
  const f = await page.evaluate(() => {
    const el = document.activeElement
    if (el === null || el === document.body) return { what: 'body', visible: true }
    el.setAttribute('data-kb-seen', '1')
    const style = getComputedStyle(el)
    const what = `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}"`
    return { what, visible: el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 }
  })
  assert.ok(f.visible, `the focus on ${f.what} is not visible`)
  return f.what
}

/**
 * Presses Tab (Shift+Tab when `back`) until `target` has the focus.
 *
 * @example
 * await tabTo(page, page.getByRole('link', { name: 'Devices' }))
 */
export async function tabTo(page: Page, target: Locator, opts: { back?: boolean; max?: number } = {}): Promise<void> {
  const path: string[] = []
  for (let i = 0; i < (opts.max ?? 150); i++) {
    await page.keyboard.press(opts.back === true ? 'Shift+Tab' : 'Tab')
    path.push(await focusedVisibly(page))
    if (await target.evaluate(isFocused)) return
  }
  throw new Error(`Tab never reached the target; the focus went through: ${path.join(' → ')}`)
}

/**
 * Tabs through the whole page once (from wherever the focus is, until it
 * comes back round) and fails naming every visible, enabled control the
 * focus never reached. Radio buttons count as reached when one of their
 * group was (the arrow keys move within a group).
 */
export async function assertAllReachable(page: Page, max = 250): Promise<number> {
  await page.evaluate(() => document.querySelectorAll('[data-kb-seen]').forEach((e: any) => e.removeAttribute('data-kb-seen')))
  let first: string | undefined
  let stops = 0
  for (; stops < max; stops++) {
    await page.keyboard.press('Tab')
    await focusedVisibly(page)
    const id = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null
      if (el === null || el === document.body) return 'body'
      el.dataset['kbId'] ??= String(Math.random())
      return el.dataset['kbId']!
    })
    if (id === first) break
    first ??= id === 'body' ? undefined : id
  }
  const missed = await page.evaluate(() => {
    const controls = document.querySelectorAll(
      'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])',
    )
    const out: string[] = []
    for (const el of controls as HTMLElement[]) {
      if (el.getClientRects().length === 0 || el.closest('[inert]') !== null) continue
      if (el.hasAttribute('data-kb-seen')) continue
      if (el instanceof HTMLInputElement && el.type === 'radio' && document.querySelector(`input[type=radio][name="${el.name}"][data-kb-seen]`) !== null) continue
      out.push(`${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}"`)
    }
    return out
  })
  assert.deepEqual(missed, [], `controls Tab never reached: ${missed.join(', ')}`)
  return stops
}
