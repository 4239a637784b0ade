/**
 * @lash/lashlang: the Lashlang language — parser, linker against a host surface, and an interpreter whose only way
 * out is one host `perform`.
 *
 * @since 0.1.0
 */

/** Canonical JSON and hashing (docs/architecture.md, "Ids and hashes"). @since 0.1.0 */
export * from "./Artifact.js"
export type * from "./Ast.js"
export * as Canonical from "./Canonical.js"
export * from "./Errors.js"
export * from "./Fence.js"
export * from "./Host.js"
export * from "./HostCatalog.js"
export {
  defaultExecLimits,
  type ExecLimits,
  ExecLimitsOptions,
  type ExecOptions,
  type ExecOutcome,
  execute
} from "./Interpreter.js"
export { checkTriggerCompatibility, link, type LinkedModule, loadArtifact, typeOfValue } from "./Linker.js"
export { defaultParseLimits, parse, type ParseLimits } from "./Parser.js"
export * from "./Prompt.js"
export * from "./Signals.js"
export * from "./TypeExpr.js"
/** Runtime values and their JSON mappings. @since 0.1.0 */
export * as Value from "./Value.js"
export type { Value as LashValue } from "./Value.js"
