/**
 * The kit's mutants: every one of them, and the toolkit to write your own.
 *
 * @since 0.1.0
 */
import { claimMutants } from "./ClaimMutants.js"
import type { Mutant } from "./Mutant.js"
import { registryMutants } from "./RegistryMutants.js"
import { sessionMutants } from "./SessionMutants.js"
import { storeMutants } from "./StoreMutants.js"

export { claimMutants } from "./ClaimMutants.js"
export * from "./Mutant.js"
export * from "./MutationSuite.js"
export { registryMutants } from "./RegistryMutants.js"
export { sessionMutants } from "./SessionMutants.js"
export { storeMutants } from "./StoreMutants.js"

/** Every mutant of the kit. @since 0.1.0 */
export const mutants: ReadonlyArray<Mutant> = [
  ...registryMutants,
  ...claimMutants,
  ...sessionMutants,
  ...storeMutants
]
