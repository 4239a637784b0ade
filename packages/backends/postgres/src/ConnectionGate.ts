/**
 * Which unit gets the next free connection of a handle's pool. `pg`'s own pool queue is first come, first served:
 * on a busy host, the units that keep a lease (renewals, terminal writes, parking, releases) waited there behind
 * sweeps, reads and claims, and leases ran out while their runs were done (the multi-worker test,
 * test/workers.test.ts). The gate holds `poolSize` permits in front of the pool and hands a freed permit to a
 * waiting urgent unit before any other; a unit that gets no permit within `timeoutMs` fails with a
 * `PostgresFailure` that says how busy the pool was.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { PostgresFailure } from "./PostgresFailure.js"

interface Waiter {
  granted: boolean
  readonly wake: () => void
}

/**
 * A gate of `permits` connections.
 *
 * @since 0.1.0
 */
export interface ConnectionGate {
  /** Waits for a permit (urgent waiters first); interrupting the wait gives up the place in the queue. */
  readonly acquire: (urgent: boolean) => Effect.Effect<void, PostgresFailure>
  /** Gives a permit back (to the first urgent waiter, else the first waiter, else the gate). */
  readonly release: Effect.Effect<void>
  /** Units waiting for a permit now. */
  readonly waiting: () => number
}

/**
 * Makes a gate.
 *
 * @since 0.1.0
 */
export const make = (permits: number, timeoutMs: number): ConnectionGate => {
  let free = permits
  const urgent: Array<Waiter> = []
  const normal: Array<Waiter> = []
  const remove = (queue: Array<Waiter>, waiter: Waiter) => {
    const at = queue.indexOf(waiter)
    if (at >= 0) queue.splice(at, 1)
  }
  const releaseNow = () => {
    const next = urgent.shift() ?? normal.shift()
    if (next === undefined) {
      free++
    } else {
      next.granted = true
      next.wake()
    }
  }
  const waiting = () => urgent.length + normal.length
  return {
    acquire: (isUrgent) =>
      Effect.suspend(() => {
        if (free > 0) {
          free--
          return Effect.void
        }
        return Effect.async<void, PostgresFailure>((resume) => {
          const queue = isUrgent ? urgent : normal
          const timer = setTimeout(() => {
            remove(queue, waiter)
            resume(Effect.fail(
              new PostgresFailure({
                code: undefined,
                message: `no connection within ${timeoutMs} ms: all ${permits} connections of the pool in use, ${
                  waiting() + 1
                } units waiting (connectTimeoutMs, poolSize)`
              })
            ))
          }, timeoutMs)
          const waiter: Waiter = {
            granted: false,
            wake: () => {
              clearTimeout(timer)
              resume(Effect.void)
            }
          }
          queue.push(waiter)
          return Effect.sync(() => {
            clearTimeout(timer)
            if (waiter.granted) releaseNow()
            else remove(queue, waiter)
          })
        })
      }),
    release: Effect.sync(releaseNow),
    waiting
  }
}
