/**
 * The tables of this driver are plain synchronous functions over a transaction (the store is in this process);
 * `lift` turns such a table into the driver contract's `Effect`-returning one.
 *
 * @since 0.1.0
 */
import type { StoreError } from "@lash/core"
import { Effect } from "effect"

/**
 * The synchronous form of a driver table: each method returns its value directly. Optional fast paths are left out.
 *
 * @since 0.1.0
 */
export type Sync<Table> = {
  readonly [K in keyof Table as undefined extends Table[K] ? never : K]-?: Table[K] extends
    (...args: infer Args) => Effect.Effect<infer A, StoreError> ? (...args: Args) => A : never
}

/**
 * The driver table of a synchronous one.
 *
 * @since 0.1.0
 */
export const lift = <Table>(table: Sync<Table>): Table =>
  Object.fromEntries(
    Object.entries(table).map(([name, method]) => [
      name,
      (...args: Array<unknown>) => Effect.sync(() => (method as (...a: Array<unknown>) => unknown)(...args))
    ])
  ) as Table
