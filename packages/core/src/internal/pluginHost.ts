/**
 * Builds the per-session plugins of one runtime (a session, a queued drain or a worker's ephemeral runtime).
 *
 * @internal
 */
import { Effect, Option } from "effect"
import type { PluginError } from "../Errors.js"
import { PluginConflict } from "../Errors.js"
import type { SessionId } from "../Identifiers.js"
import type { Json } from "../Json.js"
import type { AfterTurnHook, BeforeTurnHook, LashPlugin, PluginSessionContext, SessionPlugin } from "../Plugin.js"
import type { PluginOptions, PluginSessionSnapshot } from "../Session.js"
import type { ToolProvider } from "../Tools.js"
import type { TriggerEventDecl } from "../Trigger.js"

/** The built plugins of one runtime. */
export interface BuiltPlugins {
  readonly instances: ReadonlyArray<{ readonly plugin: LashPlugin; readonly session: SessionPlugin }>
  readonly tools: ReadonlyArray<ToolProvider>
  readonly triggerEvents: ReadonlyArray<TriggerEventDecl>
  readonly beforeTurn: ReadonlyArray<BeforeTurnHook>
  readonly afterTurn: ReadonlyArray<AfterTurnHook>
}

/** Builds and registers every plugin in config order, then restores snapshots (sessions only). */
export const buildPlugins = (p: {
  readonly plugins: ReadonlyArray<LashPlugin>
  readonly sessionId: SessionId
  readonly parentSessionId?: SessionId
  readonly purpose: PluginSessionContext["purpose"]
  readonly pluginOptions: PluginOptions
  readonly snapshot?: PluginSessionSnapshot
}): Effect.Effect<BuiltPlugins, PluginError | PluginConflict> =>
  Effect.gen(function*() {
    const instances: Array<{ plugin: LashPlugin; session: SessionPlugin }> = []
    const tools: Array<ToolProvider> = []
    const triggerEvents: Array<{ decl: TriggerEventDecl; pluginId: string }> = []
    const beforeTurn: Array<BeforeTurnHook> = []
    const afterTurn: Array<AfterTurnHook> = []
    for (const plugin of p.plugins) {
      const options: Option.Option<Json> = Option.fromNullable(p.pluginOptions.plugins[plugin.id])
      const ctx: PluginSessionContext = p.parentSessionId === undefined
        ? { sessionId: p.sessionId, purpose: p.purpose, options }
        : { sessionId: p.sessionId, parentSessionId: p.parentSessionId, purpose: p.purpose, options }
      const session = yield* plugin.build(ctx)
      yield* session.register({
        tools: { provider: (provider) => void tools.push(provider) },
        triggers: { declare: (decl) => void triggerEvents.push({ decl, pluginId: plugin.id }) },
        turn: { before: (h) => void beforeTurn.push(h), after: (h) => void afterTurn.push(h) }
      })
      tools.push(...(plugin.tools ?? []))
      for (const decl of plugin.triggerEvents ?? []) triggerEvents.push({ decl, pluginId: plugin.id })
      instances.push({ plugin, session })
    }
    const seen = new Map<string, string>()
    for (const { decl, pluginId } of triggerEvents) {
      const sourceType = `${decl.alias}.${decl.event}`
      const first = seen.get(sourceType)
      if (first !== undefined) {
        return yield* Effect.fail(
          new PluginConflict({ slot: `trigger:${sourceType}`, firstPluginId: first, secondPluginId: pluginId })
        )
      }
      seen.set(sourceType, pluginId)
    }
    if (p.purpose !== "process" && p.snapshot !== undefined) {
      for (const { plugin, session } of instances) {
        const entry = p.snapshot[plugin.id]
        if (entry !== undefined && session.restore !== undefined) yield* session.restore(entry.state, entry.version)
      }
    }
    return { instances, tools, triggerEvents: triggerEvents.map((t) => t.decl), beforeTurn, afterTurn }
  })

/** Collects snapshots of every plugin; entries of plugins no longer installed are carried forward unchanged. */
export const snapshotPlugins = (
  built: BuiltPlugins,
  previous: PluginSessionSnapshot | undefined
): Effect.Effect<PluginSessionSnapshot | undefined> =>
  Effect.gen(function*() {
    const out: Record<string, { version: string; state: Json }> = { ...(previous ?? {}) }
    let any = previous !== undefined
    for (const { plugin, session } of built.instances) {
      if (session.snapshot === undefined) continue
      const state = yield* session.snapshot
      if (Option.isSome(state)) {
        out[plugin.id] = { version: plugin.version ?? "0", state: state.value }
        any = true
      }
    }
    return any ? out : undefined
  })
