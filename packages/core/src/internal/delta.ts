/**
 * Builds the graph nodes a turn appends: each new node's parent is the previous leaf, ids are derived from the turn
 * id (so a replayed turn mints the same ids) and timestamps come from `Clock`.
 *
 * @internal
 */
import type { TurnId } from "../Identifiers.js"
import type { Json } from "../Json.js"
import type { CausalRef, Message, Part, SessionNode } from "../Session.js"

/** Accumulates the nodes of one turn. */
export class TurnDelta {
  readonly nodes: Array<SessionNode> = []
  private leaf: string | undefined
  private messageCount = 0

  constructor(
    private readonly turnId: TurnId,
    startLeaf: string | undefined,
    private readonly frameId: string,
    private readonly nowMs: () => number
  ) {
    this.leaf = startLeaf
  }

  /** The id the next message will get (`msg:<turnId>:<n>`), unless it carries its own. */
  private nextMessageId(): string {
    return `msg:${this.turnId}:${this.messageCount}`
  }

  /** Appends a message node; parts get ids `<messageId>:<i>`. */
  message(p: {
    readonly role: Message["role"]
    readonly parts: ReadonlyArray<Omit<Part, "id">>
    readonly id?: string
    readonly origin?: Message["origin"]
    readonly causedBy?: CausalRef
  }): Message {
    const id = p.id ?? this.nextMessageId()
    this.messageCount++
    const message: { -readonly [K in keyof Message]: Message[K] } = {
      id,
      role: p.role,
      parts: p.parts.map((part, i) => ({ ...part, id: `${id}:${i}` }))
    }
    if (p.origin !== undefined) message.origin = p.origin
    this.push({ kind: "message", message }, p.causedBy)
    return message
  }

  /** Appends a protocol node (e.g. an RLM step record). */
  protocol(protocol: "rlm" | "standard", event: Json): void {
    this.push({ kind: "protocol", protocol, event })
  }

  /** The leaf after the appended nodes. */
  get leafNodeId(): string | undefined {
    return this.leaf
  }

  /** The messages appended so far. */
  get messages(): ReadonlyArray<Message> {
    return this.nodes.flatMap((n) => (n.payload.kind === "message" ? [n.payload.message] : []))
  }

  private push(payload: SessionNode["payload"], causedBy?: CausalRef): void {
    const node: { -readonly [K in keyof SessionNode]: SessionNode[K] } = {
      nodeId: `node:${this.turnId}:${this.nodes.length}`,
      frameId: this.frameId,
      timestampMs: this.nowMs(),
      payload
    }
    if (this.leaf !== undefined) node.parentNodeId = this.leaf
    if (causedBy !== undefined) node.causedBy = causedBy
    this.nodes.push(node)
    this.leaf = node.nodeId
  }
}

/** The text of a message's text parts. */
export const messageText = (message: Message): string =>
  message.parts
    .filter((p) => p.kind === "text")
    .map((p) => p.content)
    .join("\n")
