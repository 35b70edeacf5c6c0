/** Sortable table columns: a real button in each header, aria-sort on the column. */
import { useMemo, useState, type ReactNode } from 'react'

export interface Sort<K extends string> {
  readonly key: K
  readonly dir: 1 | -1
  toggle(k: K): void
  apply<T>(rows: readonly T[], value: (row: T, k: K) => string | number): T[]
}

export function useSort<K extends string>(initial: K): Sort<K> {
  const [state, setState] = useState<{ key: K; dir: 1 | -1 }>({ key: initial, dir: 1 })
  return useMemo(
    () => ({
      ...state,
      toggle: (k: K) => setState((s) => ({ key: k, dir: s.key === k ? (-s.dir as 1 | -1) : 1 })),
      apply: <T,>(rows: readonly T[], value: (row: T, k: K) => string | number): T[] =>
        [...rows].sort((a, b) => {
          const x = value(a, state.key)
          const y = value(b, state.key)
          return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * state.dir
        }),
    }),
    [state],
  )
}

export function SortHeader<K extends string>(props: { sort: Sort<K>; k: K; children: ReactNode }) {
  const active = props.sort.key === props.k
  return (
    <th scope="col" aria-sort={active ? (props.sort.dir === 1 ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort" onClick={() => props.sort.toggle(props.k)}>
        {props.children} {active ? (props.sort.dir === 1 ? '▲' : '▼') : ''}
      </button>
    </th>
  )
}
