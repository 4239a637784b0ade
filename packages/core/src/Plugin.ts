/**
 * Plugins: values that contribute tools, Lashlang surface, trigger event declarations and session hooks. A
 * third-party plugin is an ordinary npm package that exports a `definePlugin({...})` value (or a function returning
 * one, when the host supplies dependencies); the host passes it to `LashCore.layer({ plugins: [...] })`. lash never
 * loads plugins by package name or default export (docs/plugins.md).
 *
 * @since 0.1.0
 */
import type { HostCatalog, LashlangAbilities, LashlangLanguageFeatures } from "@lash/lashlang"
import type { Effect, Option } from "effect"
import type { PluginError } from "./Errors.js"
import type { SessionId, TurnId } from "./Identifiers.js"
import type { Json } from "./Json.js"
import type { ToolProvider } from "./Tools.js"
import type { TriggerEventDecl } from "./Trigger.js"
import type { TurnInput, TurnOutput } from "./Turn.js"

/** A plugin's static Lashlang surface: available to every session and every rebuilt worker runtime. @since 0.1.0 */
export interface LashlangSurfaceContribution {
  readonly abilities?: LashlangAbilities
  readonly languageFeatures?: LashlangLanguageFeatures
  readonly catalog?: HostCatalog
}

/** What a plugin's `build` sees. @since 0.1.0 */
export interface PluginSessionContext {
  readonly sessionId: SessionId
  readonly parentSessionId?: SessionId
  /** `process` = an ephemeral worker runtime (never restored from a snapshot). */
  readonly purpose: "session" | "queued_drain" | "process"
  /** This plugin's entry in the session's `PluginOptions`. */
  readonly options: Option.Option<Json>
}

/** A hook run before each turn; `abort` stops the turn as `plugin_abort` (the turn still commits). @since 0.1.0 */
export type BeforeTurnHook = (ctx: {
  readonly sessionId: SessionId
  readonly turnId: TurnId
  readonly input: TurnInput
}) => Effect.Effect<{ readonly type: "continue" } | { readonly type: "abort"; readonly reason: string }>

/** A hook run after each committed turn. @since 0.1.0 */
export type AfterTurnHook = (ctx: { readonly sessionId: SessionId; readonly output: TurnOutput }) => Effect.Effect<void>

/** The synchronous collectors a session plugin registers into. @since 0.1.0 */
export interface PluginRegistrar {
  readonly tools: { provider(p: ToolProvider): void }
  readonly triggers: { declare(e: TriggerEventDecl): void }
  readonly turn: { before(h: BeforeTurnHook): void; after(h: AfterTurnHook): void }
}

/** The per-session part of a plugin. @since 0.1.0 */
export interface SessionPlugin {
  register(reg: PluginRegistrar): Effect.Effect<void, PluginError>
  /** Saved as `{ version: plugin.version ?? "0", state }` at each commit. */
  readonly snapshot?: Effect.Effect<Option.Option<Json>>
  /** Called at session open, never in worker runtimes. */
  restore?(state: Json, storedVersion: string): Effect.Effect<void, PluginError>
}

/** A plugin value. @since 0.1.0 */
export interface LashPlugin {
  /** Unique per core, stable across releases: `[a-z0-9-.]+`. */
  readonly id: string
  readonly version?: string
  readonly lashlang?: LashlangSurfaceContribution
  readonly tools?: ReadonlyArray<ToolProvider>
  readonly triggerEvents?: ReadonlyArray<TriggerEventDecl>
  /** Cheap; runs on every open, drain and worker rebuild. */
  build(ctx: PluginSessionContext): Effect.Effect<SessionPlugin, PluginError>
}

const PLUGIN_ID = /^[a-z0-9.-]+$/

/**
 * Validates a plugin's id and freezes the value.
 *
 * @since 0.1.0
 */
export const definePlugin = <P extends LashPlugin>(plugin: P): P => {
  if (!PLUGIN_ID.test(plugin.id)) {
    throw new TypeError(`invalid plugin id ${JSON.stringify(plugin.id)}: use [a-z0-9-.]+`)
  }
  return Object.freeze(plugin)
}
