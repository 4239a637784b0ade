/**
 * The input rules of a trigger registration (docs/lashlang.md, "Semantics", triggers, checks 5–7): each input maps a
 * parameter of the target once, `trigger.event` fits its parameter and is never projected, every parameter is
 * mapped, and at least one takes the event. The linker applies them to source code; the host applies them again to
 * the stored artifact of the target.
 *
 * @internal
 */
import { formatType, type TypeExpr } from "../TypeExpr.js"
import { fits } from "./Types.js"

/** One entry of `inputs`, in source order. */
export interface TriggerInputEntry {
  readonly name: string
  readonly kind: "event" | "projection" | "fixed"
}

/** A broken rule: the link-error kind and its message. */
export interface TriggerInputProblem {
  readonly kind: string
  readonly message: string
}

/**
 * The first broken rule, or undefined. `params` is undefined when the target is only known by type (its parameters
 * are checked by the host at registration). `onFixed(i)` is called for each fixed entry in order, where the linker
 * checks its expression.
 */
export const triggerInputProblem = (p: {
  readonly params: ReadonlyArray<{ readonly name: string; readonly type: TypeExpr }> | undefined
  readonly targetName: string | undefined
  readonly event: TypeExpr
  readonly entries: ReadonlyArray<TriggerInputEntry>
  readonly resolve: (t: TypeExpr) => TypeExpr
  readonly onFixed?: (index: number) => void
}): TriggerInputProblem | undefined => {
  const target = p.targetName === undefined ? "trigger target" : `trigger target \`${p.targetName}\``
  const seen = new Set<string>()
  for (let i = 0; i < p.entries.length; i++) {
    const { kind, name } = p.entries[i]!
    if (seen.has(name)) {
      return { kind: "DuplicateTriggerInput", message: `trigger registration input \`${name}\` is duplicated` }
    }
    seen.add(name)
    const param = p.params?.find((x) => x.name === name)
    if (p.params !== undefined && param === undefined) {
      return { kind: "UnknownTriggerInput", message: `${target} has no input \`${name}\`` }
    }
    if (kind === "projection") {
      return {
        kind: "TriggerEventProjection",
        message:
          "`trigger.event` represents the whole event; projections such as `trigger.event.field` are not supported"
      }
    }
    if (kind === "event") {
      if (param !== undefined && !fits(p.event, p.resolve(param.type))) {
        return {
          kind: "TriggerEventMismatch",
          message: `trigger source emits ${formatType(p.event)}, but target input \`${name}\` expects ${
            formatType(param.type)
          }`
        }
      }
      continue
    }
    p.onFixed?.(i)
  }
  for (const param of p.params ?? []) {
    if (!seen.has(param.name)) {
      return { kind: "MissingTriggerInput", message: `${target} input \`${param.name}\` is not mapped` }
    }
  }
  if (!p.entries.some((e) => e.kind === "event")) {
    return {
      kind: "MissingTriggerEventInput",
      message: "trigger registration `inputs` must map at least one param to `trigger.event`"
    }
  }
  return undefined
}
