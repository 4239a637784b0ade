/**
 * @lash/ai: lash's model providers through `@effect/ai`: the adapter from any `@effect/ai` `LanguageModel`, and ready
 * layers for OpenAI (Responses API), Anthropic (Messages) and any OpenAI-compatible chat-completions server.
 *
 * @since 0.1.0
 */
/** The adapter from an `@effect/ai` `LanguageModel` to lash's `LlmProvider`. @since 0.1.0 */
export * as AiProvider from "./AiProvider.js"
/** Anthropic's Messages API as lash's model. @since 0.1.0 */
export * as Anthropic from "./Anthropic.js"
/** OpenAI's Responses API as lash's model. @since 0.1.0 */
export * as OpenAi from "./OpenAi.js"
/** Any OpenAI-compatible chat-completions server as lash's model. @since 0.1.0 */
export * as OpenAiCompatible from "./OpenAiCompatible.js"
