/** A JSON value (a device's inventory) as nested key/value lists. */
import type { ReactNode } from 'react'

export function JsonTree(props: { value: unknown; depth?: number }): ReactNode {
  const { value } = props
  const depth = props.depth ?? 0
  if (value === null || value === undefined) return <span className="muted">—</span>
  if (typeof value !== 'object') return <span>{String(value)}</span>
  if (depth > 6) return <code>{JSON.stringify(value).slice(0, 200)}</code>
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>)
  if (entries.length === 0) return <span className="muted">(empty)</span>
  return (
    <dl className={`tree depth-${Math.min(depth, 3)}`}>
      {entries.slice(0, 500).map(([k, v]) => (
        <div key={k} className="tree-row">
          <dt>{k}</dt>
          <dd>
            <JsonTree value={v} depth={depth + 1} />
          </dd>
        </div>
      ))}
    </dl>
  )
}
