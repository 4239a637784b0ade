/**
 * Model specification, session policy and token usage.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { opt } from "./Json.js"

const Count = Schema.NonNegativeInt

/** The model a session talks to. @since 0.1.0 */
export const ModelSpec = Schema.Struct({
  id: Schema.String,
  variant: opt(Schema.String),
  limits: Schema.Struct({ contextWindowTokens: Count, outputTokenCapacity: opt(Count) })
})
/** @since 0.1.0 */
export interface ModelSpec extends Schema.Schema.Type<typeof ModelSpec> {}

/** Which provider and model a session uses, and its per-turn iteration limit. @since 0.1.0 */
export const SessionPolicy = Schema.Struct({
  model: ModelSpec,
  providerId: Schema.String,
  maxIterations: opt(Schema.Int.pipe(Schema.positive()))
})
/** @since 0.1.0 */
export interface SessionPolicy extends Schema.Schema.Type<typeof SessionPolicy> {}

/** Durability of a store or controller: `inline` is lost on exit, `durable` survives a crash. @since 0.1.0 */
export const DurabilityTier = Schema.Literal("inline", "durable")
/** @since 0.1.0 */
export type DurabilityTier = typeof DurabilityTier.Type

/** Token usage of one or more model calls. @since 0.1.0 */
export const TokenUsage = Schema.Struct({
  input: Count,
  output: Count,
  cacheRead: opt(Count),
  cacheWrite: opt(Count)
})
/** @since 0.1.0 */
export interface TokenUsage extends Schema.Schema.Type<typeof TokenUsage> {}

/** Helpers for {@link TokenUsage}. @since 0.1.0 */
export const TokenUsageOps = {
  /** No usage. */
  zero: { input: 0, output: 0 } as TokenUsage,
  /** Sums two usages; an absent cache field counts as 0 and stays absent when both are absent. */
  add: (a: TokenUsage, b: TokenUsage): TokenUsage => {
    const out: { input: number; output: number; cacheRead?: number; cacheWrite?: number } = {
      input: a.input + b.input,
      output: a.output + b.output
    }
    if (a.cacheRead !== undefined || b.cacheRead !== undefined) out.cacheRead = (a.cacheRead ?? 0) + (b.cacheRead ?? 0)
    if (a.cacheWrite !== undefined || b.cacheWrite !== undefined) {
      out.cacheWrite = (a.cacheWrite ?? 0) + (b.cacheWrite ?? 0)
    }
    return out
  }
}

/** Usage attributed to one source and model, as recorded by a commit. @since 0.1.0 */
export const UsageEntry = Schema.Struct({ source: Schema.String, model: Schema.String, usage: TokenUsage })
/** @since 0.1.0 */
export interface UsageEntry extends Schema.Schema.Type<typeof UsageEntry> {}
