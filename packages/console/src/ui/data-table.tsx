/**
 * The one table of the console: a header row and a row per item, each
 * page saying only which columns it shows. A column whose third element
 * is a sort key gets a sort button (and aria-sort) when the table is given
 * a {@link Sort}.
 */
import type { ReactNode } from 'react'
import { SortHeader, type Sort } from './sort'

/** `[header, cell, sortKey?]`; an empty header for a column of row actions. */
export type Column<T, K extends string = string> = readonly [header: ReactNode, cell: (row: T) => ReactNode, sortKey?: K]

/**
 * @example
 * <DataTable rows={keys} rowKey={(k) => k.id} columns={[['Name', (k) => k.name], ['', (k) => <RowAction …/>]]} />
 */
export function DataTable<T, K extends string = string>(props: {
  rows: readonly T[]
  rowKey: (row: T) => string | number
  columns: readonly Column<T, K>[]
  sort?: Sort<K>
  label?: string
}) {
  const { sort } = props
  return (
    <table aria-label={props.label}>
      <thead>
        <tr>
          {props.columns.map(([header, , key], i) =>
            sort !== undefined && key !== undefined ? (
              <SortHeader key={i} sort={sort} k={key}>
                {header}
              </SortHeader>
            ) : (
              <th key={i} scope="col">
                {header}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={props.rowKey(row)}>
            {props.columns.map(([header, cell], i) => (
              // a column without a header holds the row's buttons
              <td key={i} className={header === '' ? 'actions' : undefined}>
                {cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}
