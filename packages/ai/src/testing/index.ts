/**
 * `@lash/ai/testing`: an in-process fake model server speaking OpenAI Responses, Anthropic Messages and Chat
 * Completions, for testing lash applications against the real wire formats offline.
 *
 * @since 0.1.0
 */
export * as FakeModelServer from "./FakeModelServer.js"
export { FakeReply } from "./FakeModelServer.js"
export type { FakeRequest, FakeToolCall, FakeUsage, FakeWire } from "./FakeModelServer.js"
