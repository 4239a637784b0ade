/**
 * Branded identifier types. Deterministic ids are computed by `Ids`; this module only names them.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const id = <B extends string>(brand: B) => Schema.String.pipe(Schema.minLength(1), Schema.brand(brand))

/** A session id. @since 0.1.0 */
export const SessionId = id("SessionId")
/** @since 0.1.0 */
export type SessionId = typeof SessionId.Type
/** A turn id, unique within its session. @since 0.1.0 */
export const TurnId = id("TurnId")
/** @since 0.1.0 */
export type TurnId = typeof TurnId.Type
/** A globally addressable process id. @since 0.1.0 */
export const ProcessId = id("ProcessId")
/** @since 0.1.0 */
export type ProcessId = typeof ProcessId.Type
/** A content address of a process execution env (`process-env:sha256:...`). @since 0.1.0 */
export const EnvRef = id("EnvRef")
/** @since 0.1.0 */
export type EnvRef = typeof EnvRef.Type
/** A content address of a Lashlang module artifact. @since 0.1.0 */
export const ModuleRef = id("ModuleRef")
/** @since 0.1.0 */
export type ModuleRef = typeof ModuleRef.Type
/** A trigger occurrence id (`occurrence:...`). @since 0.1.0 */
export const OccurrenceId = id("OccurrenceId")
/** @since 0.1.0 */
export type OccurrenceId = typeof OccurrenceId.Type
/** A trigger subscription id (`subscription:<n>`). @since 0.1.0 */
export const SubscriptionId = id("SubscriptionId")
/** @since 0.1.0 */
export type SubscriptionId = typeof SubscriptionId.Type
/** The public handle of a trigger subscription (`trigger:<n>`). @since 0.1.0 */
export const TriggerHandle = id("TriggerHandle")
/** @since 0.1.0 */
export type TriggerHandle = typeof TriggerHandle.Type
/** A queued-work batch id (`qwb:...`). @since 0.1.0 */
export const BatchId = id("BatchId")
/** @since 0.1.0 */
export type BatchId = typeof BatchId.Type
/** A queued-work claim id (`qwc:...`). @since 0.1.0 */
export const ClaimId = id("ClaimId")
/** @since 0.1.0 */
export type ClaimId = typeof ClaimId.Type
/** A wake id (`wake:...`). @since 0.1.0 */
export const WakeId = id("WakeId")
/** @since 0.1.0 */
export type WakeId = typeof WakeId.Type
/** A tool id (`tool:<name>`). @since 0.1.0 */
export const ToolId = id("ToolId")
/** @since 0.1.0 */
export type ToolId = typeof ToolId.Type
