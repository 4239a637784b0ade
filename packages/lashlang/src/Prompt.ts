/**
 * The system prompt of an RLM turn, generated from the same `HostEnvironment` that links the program, so the model
 * only ever reads about what links (docs/lashlang.md, "The RLM turn protocol").
 *
 * @since 0.1.0
 */
import type { HostEnvironment } from "./HostCatalog.js"
import { BUILTINS } from "./internal/Builtins.js"
import { sizeOf } from "./internal/Sizes.js"
import { jsonText, TextOverflow } from "./internal/Text.js"
import { typeOfValue } from "./Linker.js"
import { formatType } from "./TypeExpr.js"
import type { Value } from "./Value.js"

/** The JSON text of `v` up to `limit` characters, and whether it was longer. */
const jsonPrefix = (v: Value, limit: number): { readonly text: string; readonly cut: boolean } => {
  try {
    return { text: jsonText(v, limit), cut: false }
  } catch (e) {
    if (!(e instanceof TextOverflow)) throw e
    return { text: e.partial.slice(0, limit), cut: true }
  }
}

/**
 * Renders the execution rules, the language summary for the enabled abilities and the host surface.
 *
 * @since 0.1.0
 */
export const renderHostSurface = (env: HostEnvironment): string => {
  const cat = env.catalog
  const hasOps = Object.keys(cat.resourceTypes).length > 0
  const lines: Array<string> = []
  lines.push("You act by writing Lashlang programs.")
  lines.push("## Execution")
  lines.push(
    hasOps
      ? "- Every action happens inside one ```lashlang block per reply; the runtime runs the first closed block and ignores anything after it."
      : "- Write one ```lashlang block per reply: blocks compute and submit values; this host offers no tools."
  )
  lines.push(
    "- `print v` shows a value on the next step; `submit v` ends the turn (strings are the reply as-is, other values are JSON)."
  )
  lines.push(
    "- Keep blocks small and focused; variables persist across the blocks of one turn. Other fence tags are prose."
  )
  lines.push("- Example:\n```lashlang\nitems = [3, 1, 2]\nprint len(items)\n```")
  lines.push("## Language")
  lines.push(
    "- Values: null, true/false, numbers, strings (\"…\", \"\"\"…\"\"\", r\"\"\"…\"\"\"), lists [..], records { key: value }."
  )
  lines.push(
    "- Assignment `x = e`; path assignment `r.a = 1`, `r[k] = v` (records insert or replace), lists replace existing indexes only."
  )
  lines.push(
    "- Control flow: `if c { } else { }`, `for x in list { }`, `while c { }`, `break`, `continue`, ternary `c ? a : b`."
  )
  lines.push(
    "- Module calls: `await alias.op({...})?` unwraps the result (failure aborts the block); without `?` you get `{ ok, value | error }`. Bare calls `name(...)` are builtins only."
  )
  if (env.abilities.processes) {
    lines.push(
      "- Processes: `process name(p: T) { ... wake v; yield v; finish v / fail v }`, `h = start name(p: v)`, `await h`, `(await h)?`, `cancel h`. Start several before awaiting to run them in parallel."
    )
  }
  if (env.abilities.sleep) lines.push("- Sleep: `sleep for 500` (ms) or `sleep for \"2s\"`; `sleep until <time>`.")
  if (env.abilities.processSignals) {
    lines.push(
      "- Signals: `signals { name: T }` on a process, `wait_signal(\"name\")`, `signal_run(h, \"name\", payload)`."
    )
  }
  if (env.abilities.triggers) {
    lines.push(
      "- Triggers: `await triggers.register({ source: <trigger source>, target: <process>, inputs: { param: trigger.event }, name: \"…\" })?`; every parameter is mapped exactly once and at least one to `trigger.event`."
    )
  }
  lines.push("## Host surface")
  for (const m of cat.modules) {
    for (const [op, spec] of Object.entries(cat.resourceTypes[m.resourceType] ?? {})) {
      lines.push(
        `- \`await ${m.path.join(".")}.${op}(${formatType(spec.input)})?\` -> ${formatType(spec.output)}${
          spec.doc === undefined ? "" : ` — ${spec.doc}`
        }`
      )
    }
  }
  for (const [name, t] of Object.entries(cat.namedDataTypes)) lines.push(`- \`type ${name} = ${formatType(t)}\``)
  for (const [path, c] of Object.entries(cat.constructors)) {
    const src = cat.triggerSources[path]
    lines.push(
      `- \`${path}(${formatType(c.input)})\` -> ${
        src === undefined ? c.typeName : `TriggerSource<${src.eventType}>`
      } (pure constructor, never awaited)`
    )
    if (src !== undefined) {
      lines.push(`  - can be passed to \`triggers.register\` as \`source\`; emits \`${src.eventType}\``)
    }
  }
  if (lines[lines.length - 1] === "## Host surface") lines.push("- (no host operations)")
  lines.push("## Builtins")
  // The arity table's names, so the prompt never lists a builtin that does not link or misses one that does.
  lines.push(Object.keys(BUILTINS).join(" "))
  return lines.join("\n")
}

/**
 * The Bound Variables section: each global with its type and, when short, its value.
 *
 * @since 0.1.0
 */
export const renderBoundVariables = (globals: ReadonlyMap<string, Value>): string => {
  if (globals.size === 0) return "## Bound Variables\n(none)"
  const lines = ["## Bound Variables"]
  for (const [name, v] of globals) {
    const type = formatType(typeOfValue(v))
    const json = jsonPrefix(v, 1024)
    // A large value shows only its start, and its size (the value's own measure, about its JSON length).
    lines.push(
      json.cut
        ? `- ${name}: ${type} (about ${sizeOf(v)} chars) ${jsonPrefix(v, 200).text}…`
        : `- ${name}: ${type} = ${json.text}`
    )
  }
  return lines.join("\n")
}
