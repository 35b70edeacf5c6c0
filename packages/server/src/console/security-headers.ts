/**
 * The headers every console response carries. The console handles admin
 * sessions and signs commands with admin keys, so a script injected into it
 * would be worth a lot: the policy allows only the console's own files (no
 * inline script or style, no other origin), forbids framing (clickjacking
 * an approval), and sends no referrer (URLs name orgs and commands).
 */

/** The Content-Security-Policy of the console. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ')

/** Headers set on every response of the console routes, including their problems. */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONSOLE_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
})
