/**
 * Signals (docs/lashlang.md, "Sleep and signals"): the check a host makes before it delivers one, against the stored
 * artifact of the target process: the signal must be declared, and its payload must match the declared type (type
 * aliases of the module and the named data types it requires resolved).
 *
 * @since 0.1.0
 */
import type { ModuleArtifact } from "./Artifact.js"
import { checkType } from "./internal/Validate.js"
import { parseSync } from "./Parser.js"
import type { TypeExpr } from "./TypeExpr.js"
import type { Value } from "./Value.js"

/** Why a signal cannot be delivered. @since 0.1.0 */
export type SignalProblem =
  | { readonly _tag: "UnknownProcess"; readonly message: string }
  | { readonly _tag: "UnknownSignal"; readonly message: string }
  | { readonly _tag: "InvalidPayload"; readonly message: string }

/**
 * Checks signal `name` with `payload` for process `processName` of `artifact`: `undefined` when it may be delivered.
 *
 * @since 0.1.0
 */
export const checkSignal = (
  artifact: ModuleArtifact,
  processName: string,
  name: string,
  payload: Value
): SignalProblem | undefined => {
  const target = artifact.exports.processes[processName]
  if (target === undefined) {
    return { _tag: "UnknownProcess", message: `process \`${processName}\` is not in module ${artifact.moduleRef}` }
  }
  const type = target.signals?.[name]
  if (type === undefined) {
    return { _tag: "UnknownSignal", message: `process \`${processName}\` declares no signal \`${name}\`` }
  }
  const aliases = new Map<string, TypeExpr>()
  const source = (artifact.canonicalIr as { readonly source?: unknown } | null)?.source
  if (typeof source === "string") {
    try {
      for (const t of parseSync(source).types) aliases.set(t.name, t.type)
    } catch {
      // A stored artifact parsed when it was linked; without its source only named data types resolve.
    }
  }
  const problem = checkType(
    {
      resolveRef: (ref) => aliases.get(ref) ?? artifact.hostRequirements.namedTypes[ref],
      typeVariable: () => undefined,
      charge: () => {}
    },
    payload,
    type,
    "$"
  )
  return problem === undefined ? undefined : {
    _tag: "InvalidPayload",
    message: `signal \`${name}\` of process \`${processName}\` has an invalid payload: ${problem}`
  }
}
