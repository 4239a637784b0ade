/**
 * A session's transcript: the messages on its active path (from the leaf back to the root), grouped into turns, and
 * printed the way the quickstart prints them.
 *
 * A turn starts at an input message (`user`, or an `event` such as a process wake) that follows anything else;
 * consecutive input messages open one turn together (a drained queue delivers several at once).
 *
 * @since 0.1.0
 */
import type { Message, PersistedSession, SessionNode } from "@lash/core"

/** One turn of a transcript (`turn` counts from 1). @since 0.1.0 */
export interface TranscriptTurn {
  readonly turn: number
  readonly messages: ReadonlyArray<Message & { readonly timestampMs: number }>
}

/** The active path of a session, root first. @since 0.1.0 */
export const activePath = (session: PersistedSession): ReadonlyArray<SessionNode> => {
  const byId = new Map(session.graph.nodes.map((node) => [node.nodeId, node]))
  const path: Array<SessionNode> = []
  let cursor = session.graph.leafNodeId
  while (cursor !== undefined && path.length <= byId.size) {
    const node = byId.get(cursor)
    if (node === undefined) break
    path.push(node)
    cursor = node.parentNodeId
  }
  return path.reverse()
}

const isInput = (message: Message) => message.role === "user" || message.role === "event"

/** The messages of the active path, grouped into turns. @since 0.1.0 */
export const turns = (session: PersistedSession): ReadonlyArray<TranscriptTurn> => {
  const out: Array<{ turn: number; messages: Array<Message & { readonly timestampMs: number }> }> = []
  let previousWasInput = false
  for (const node of activePath(session)) {
    if (node.payload.kind !== "message") continue
    const message = node.payload.message
    const input = isInput(message)
    if (out.length === 0 || (input && !previousWasInput)) out.push({ turn: out.length + 1, messages: [] })
    out[out.length - 1]!.messages.push({ ...message, timestampMs: node.timestampMs })
    previousWasInput = input
  }
  return out
}

/** A message as the quickstart prints it. @since 0.1.0 */
export const render = (message: Message): string =>
  message.parts
    .map((part) => {
      const who = message.role === "event"
        ? `event(${message.origin?.kind === "process" ? message.origin.eventType : "?"})`
        : message.role
      switch (part.kind) {
        case "code":
          return `  ┌ ${part.language ?? "code"}\n${part.content.split("\n").map((l) => `  │ ${l}`).join("\n")}\n  └`
        case "tool_call":
          return `  ⇒ ${part.toolName ?? "tool"} ${part.content.replace(/\n/g, " ")}`
        case "tool_result":
          return `  ⇐ ${part.content.replace(/\n/g, " ")}`
        case "reasoning":
          return `  (${who} thinking) ${part.content.replace(/\n/g, " ")}`
        default:
          return `${who}: ${part.content}`
      }
    })
    .join("\n")
