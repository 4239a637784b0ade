/**
 * What became of a transaction whose connection was lost during `COMMIT`. The `COMMIT` may have been applied or not;
 * the driver cannot tell from a dead socket. Every write unit learns its transaction id as it begins
 * (`pg_current_xact_id()`, in the same round trip as `BEGIN`), so after such a loss the unit asks the server on a new
 * connection (`pg_xact_status`): `committed` means the unit succeeded (its answer stands), `aborted` means it wrote
 * nothing and may run again. `in progress` (the old backend has not finished dying yet) or no answer (the server is
 * restarting) is asked again with a backoff, a few seconds in all; past that the loss surfaces as `StoreUnavailable`,
 * outcome unknown. Without this, a terminal write whose `COMMIT` was cut off surfaced as a failure even when it had
 * committed, and a write that had not committed could not be told apart from one that had.
 *
 * @since 0.1.0
 */
import { type StoreError, StoreUnavailable } from "@lash/core"
import { Duration, Effect } from "effect"
import type * as Pg from "pg"
import { PostgresFailure } from "./PostgresFailure.js"

/**
 * The begin statement of a write unit: `BEGIN` and the transaction id, one round trip (the simple query protocol runs
 * both statements of the text).
 *
 * @since 0.1.0
 */
export const BEGIN_WRITE = "BEGIN; SELECT pg_current_xact_id()::text AS xid"

/**
 * A `COMMIT` whose connection was lost: the transaction `xid`, the unit's answer if it did commit, and the loss.
 *
 * @since 0.1.0
 */
export class CommitInDoubt<A> {
  readonly _tag = "CommitInDoubt"
  constructor(readonly xid: string, readonly value: A, readonly error: StoreUnavailable) {}
}

/** What the server says of a transaction. */
export type XactStatus = "committed" | "aborted" | "in progress" | "unknown"

/** How often, and how long apart, the server is asked before the outcome is given up as unknown. */
const ATTEMPTS = 8
const backoff = (attempt: number) => Duration.millis(Math.min(1_000, 100 * 2 ** attempt))

/**
 * Asks the server what became of `doubt.xid` (with `status`, one question on a new connection each time): the unit's
 * answer when it committed; `aborted` when it wrote nothing (the caller runs it again); else `StoreUnavailable`.
 *
 * @since 0.1.0
 */
export const resolve = <A>(
  doubt: CommitInDoubt<A>,
  status: (xid: string) => Effect.Effect<XactStatus, StoreError>
): Effect.Effect<A | "aborted", StoreUnavailable> =>
  Effect.gen(function*() {
    let last = "no answer"
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) yield* Effect.sleep(backoff(attempt - 1))
      const answer = yield* Effect.either(status(doubt.xid))
      if (answer._tag === "Right") {
        if (answer.right === "committed") return doubt.value
        if (answer.right === "aborted") return "aborted" as const
        last = `transaction ${doubt.xid} is ${answer.right}`
      } else {
        last = `asking failed: ${answer.left.message}`
      }
    }
    const cause = doubt.error.cause as { readonly code?: unknown; readonly message?: unknown } | undefined
    return yield* Effect.fail(
      new StoreUnavailable({
        port: doubt.error.port,
        cause: new PostgresFailure({
          code: typeof cause?.code === "string" ? cause.code : undefined,
          message: `the connection was lost during COMMIT (${
            String(cause?.message ?? "connection lost")
          }) and the outcome is unknown: ${last}`
        })
      })
    )
  })

/**
 * The status query on a client.
 *
 * @since 0.1.0
 */
export const statusOf = (client: Pg.PoolClient, xid: string): Promise<XactStatus> =>
  client.query("SELECT pg_xact_status($1::xid8) AS status", [xid]).then((r) => {
    const status = (r.rows[0] as { readonly status?: unknown } | undefined)?.status
    return status === "committed" || status === "aborted" || status === "in progress" ? status : "unknown"
  })
