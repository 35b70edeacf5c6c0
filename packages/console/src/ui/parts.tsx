/**
 * Small shared pieces: page frame, busy indicator, error box, empty state,
 * copyable code, status badges.
 */
import { useState, type ReactNode } from 'react'
import { isApiError } from '../api/http'

export function Page(props: { title: string; actions?: ReactNode; children: ReactNode }) {
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-head">
        <h1 id="page-title">{props.title}</h1>
        {props.actions === undefined ? null : <div className="page-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  )
}

/** Shown while something slower than a moment runs. */
export function Busy(props: { label?: string }) {
  return (
    <p className="busy" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {props.label ?? 'Loading…'}
    </p>
  )
}

/** An error from the API or elsewhere, with the field errors if any. */
export function ErrorBox(props: { error: unknown }) {
  const e = props.error
  if (e === undefined || e === null) return null
  const message = e instanceof Error ? e.message : String(e)
  return (
    <div className="error" role="alert">
      <strong>{isApiError(e) ? e.code : 'Error'}</strong>: {message}
      {isApiError(e) && e.errors.length > 0 ? (
        <ul>
          {e.errors.map((f, i) => (
            <li key={i}>
              <code>{f.path}</code> {f.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  )
}

/** What to do when a list is empty. */
export function Empty(props: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{props.title}</p>
      {props.children}
    </div>
  )
}

/** A command line or secret to copy, in a monospaced box with a copy button. */
export function Copyable(props: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false)
  return (
    <div className="copyable">
      <code data-testid={props.label}>{props.text}</code>
      <button
        type="button"
        className="small"
        onClick={() => {
          void navigator.clipboard?.writeText(props.text).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  )
}

export function Badge(props: { tone: 'ok' | 'warn' | 'bad' | 'info' | 'muted'; children: ReactNode }) {
  return <span className={`badge ${props.tone}`}>{props.children}</span>
}

const STATUS_TONE: Record<string, 'ok' | 'warn' | 'bad' | 'info' | 'muted'> = {
  'awaiting-signatures': 'warn',
  logged: 'info',
  delivering: 'info',
  done: 'ok',
  pending: 'muted',
  sent: 'info',
  completed: 'ok',
  rejected: 'bad',
  expired: 'muted',
  success: 'ok',
  failure: 'bad',
  denied: 'warn',
  active: 'ok',
  suspended: 'warn',
  disabled: 'muted',
  revoked: 'muted',
}

export function Status(props: { value: string }) {
  return <Badge tone={STATUS_TONE[props.value] ?? 'muted'}>{props.value}</Badge>
}
