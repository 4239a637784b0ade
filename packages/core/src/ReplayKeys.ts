/**
 * Replay keys: the only place each key of an effect or process event is built (docs/architecture.md, "Effects and replay").
 * A replay key names one effect within its execution scope, so a recovered run finds what its first attempt recorded;
 * the formats below are part of the stored data (journal rows, event rows) and change only with a migration plan.
 *
 * @since 0.1.0
 */

/**
 * The replay key builders.
 *
 * @since 0.1.0
 */
export const ReplayKeys = {
  /**
   * The prefix of one protocol iteration of a turn: `<sessionId>:<turnId>:<iteration>`. It names the turn by its id
   * and never by its index, which moves when another writer commits first: a turn re-driven under its id after a
   * `HeadRevisionConflict` or a crash finds the keys (and so the processes) of its first attempt.
   */
  iteration: (sessionId: string, turnId: string, iteration: number): string => `${sessionId}:${turnId}:${iteration}`,
  /** The model call of an iteration: `<iteration>:llm_call:0`. */
  modelCall: (iterationKey: string): string => `${iterationKey}:llm_call:0`,
  /** The Lashlang block of an RLM iteration: `<iteration>:exec_code:0`. */
  codeBlock: (iterationKey: string): string => `${iterationKey}:exec_code:0`,
  /** A tool call under a parent key (an iteration, a Lashlang site or a process run): `<parent>:tool:<callId>`. */
  toolCall: (parentKey: string, callId: string): string => `${parentKey}:tool:${callId}`,
  /** One host operation of a Lashlang program, by call site: `<seed>:<nodeId>:<occurrence>`. */
  lashlangSite: (seed: string, nodeId: string, occurrence: number): string => `${seed}:${nodeId}:${occurrence}`,
  /** The parent key of the effects of one worker run of a process: `process:<pid>`. */
  processRun: (processId: string): string => `process:${processId}`,
  /**
   * Whether `key` is a `lashlangSite` key of a `processRun` of `processId`: the seed is exactly `process:<pid>` and
   * the rest one `<nodeId>:<occurrence>`, a node id being `<kind>:<hash>` (packages/lashlang/src/Linker.ts). Counting
   * the rest's separators pins the id, so a process whose id extends this one (`<pid>:x`) never matches.
   */
  isSiteOfProcessRun: (key: string, processId: string): boolean => {
    const seed = `process:${processId}:`
    return key.startsWith(seed) && /^[^:]+:[^:]+:\d+$/.test(key.slice(seed.length))
  },
  /** A host's `processes().start`: `process:start:<pid>`. */
  processStart: (processId: string): string => `process:start:${processId}`,
  /** The start of a trigger delivery's process: `trigger:<occurrenceId>:<subscriptionId>`. */
  triggerDelivery: (occurrenceId: string, subscriptionId: string): string =>
    `trigger:${occurrenceId}:${subscriptionId}`,
  /** The terminal event of a process: `process:<pid>:terminal:<eventType>`. */
  processTerminal: (processId: string, eventType: string): string => `process:${processId}:terminal:${eventType}`
} as const
