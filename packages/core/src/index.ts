/**
 * @lash/core: a durable runtime for LLM agents, on Effect.
 *
 * @since 0.1.0
 */
export * from "./ArtifactStore.js"
/** Decoding of configuration options into `LashConfigError`s. @since 0.1.0 */
export * as ConfigOptions from "./ConfigOptions.js"
export * from "./EffectController.js"
export * from "./EffectControllers.js"
export * from "./EffectJournal.js"
export * from "./Effects.js"
export * from "./Errors.js"
export * from "./Identifiers.js"
export * from "./IdGenerator.js"
export * from "./Ids.js"
export * from "./Json.js"
/** The JSON Schema subset validator. @since 0.1.0 */
export * as JsonSchema from "./JsonSchema.js"
export * from "./LanguageModel.js"
export * from "./LashCore.js"
export * from "./Model.js"
export * from "./Plugin.js"
export * from "./Process.js"
export * from "./ProcessEnvStore.js"
export * from "./ProcessRegistry.js"
export * from "./QueuedWork.js"
export * from "./ReplayKeys.js"
export * from "./Session.js"
export * from "./SessionStore.js"
export * from "./Storage.js"
export * from "./StorageInfo.js"
export * from "./StoreInspector.js"
export * from "./Telemetry.js"
/** The storage engine: every storage port over a `StorageDriver`. @since 0.1.0 */
export type * from "./storage/Driver.js"
export type * from "./storage/DriverRows.js"
export * as StorageEngine from "./storage/index.js"
export type * from "./storage/RowTampering.js"
export * from "./Tool.js"
export * from "./Tools.js"
export * from "./Trigger.js"
export * from "./TriggerStore.js"
export * from "./Turn.js"
