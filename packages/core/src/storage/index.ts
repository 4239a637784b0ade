/**
 * The storage engine (`StorageEngine` in `@lash/core`): `layer(driver)` builds every storage port over a
 * `StorageDriver`, and the modules below are the rules it applies, each written once. Drivers and their contract:
 * docs/storage-drivers.md.
 *
 * @since 0.1.0
 */
export { compareCodePoints } from "./CodePointOrder.js"
/** The commit check order. @since 0.1.0 */
export * as CommitOrder from "./CommitOrder.js"
export { layer, make, withoutFastPaths } from "./Engine.js"
/** The event-append decision and the registry rules. @since 0.1.0 */
export * as EventAppend from "./EventAppend.js"
/** Lease arithmetic and fencing. @since 0.1.0 */
export * as Lease from "./Lease.js"
/** Queue-claim selection and fencing. @since 0.1.0 */
export * as QueueClaim from "./QueueClaim.js"
/** Record encoding, decoding and row keys. @since 0.1.0 */
export * as RecordCodec from "./RecordCodec.js"
/** Change signals and blocking waits. @since 0.1.0 */
export * as Signals from "./Signals.js"
/** Trigger registration numbering and delivery reservation. @since 0.1.0 */
export * as TriggerReservation from "./TriggerReservation.js"
export { StoreClosed } from "./Unit.js"
/** Wake delivery. @since 0.1.0 */
export * as WakeDelivery from "./WakeDelivery.js"
