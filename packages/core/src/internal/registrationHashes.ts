/**
 * One registration hash per start. A start (`core.processes().start`, a trigger delivery) hashes the registration
 * for its journal command, and the unit that registers it needs the same hash for the row (storage/EventAppend.ts
 * `newRecord`) and the repeat check (storage/ProcessRegistryEngine.ts). `withRegistrationHash` computes it once and
 * lends it, for that object (the registration as it is registered, with its trace context), to what runs inside.
 * The loan ends with the start: a later start of the same object hashes it afresh, so a caller that changes an object
 * between two starts (plain JavaScript ignores `readonly`) gets the conflict it should, never a stale hash.
 *
 * @internal
 */
import { Effect } from "effect"
import { Ids } from "../Ids.js"
import type { ProcessRegistration } from "../Process.js"

const lent = new WeakMap<ProcessRegistration, string>()

/** The hash of `registration`: the one lent for it by an enclosing start, else computed now. */
export const registrationHashOf = (registration: ProcessRegistration): string =>
  lent.get(registration) ?? Ids.registrationHash(registration)

/** Runs `use` with the hash of `registration`, lent to whatever inside asks for the same object's hash. */
export const withRegistrationHash = <A, E, R>(
  registration: ProcessRegistration,
  use: (hash: string) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    const hash = Ids.registrationHash(registration)
    lent.set(registration, hash)
    return Effect.ensuring(
      use(hash),
      Effect.sync(() => {
        if (lent.get(registration) === hash) lent.delete(registration)
      })
    )
  })
