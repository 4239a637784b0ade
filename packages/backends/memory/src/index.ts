/**
 * @lash/backend-memory: in-memory storage for lash (inline durability tier).
 *
 * @since 0.1.0
 */
export * from "./MemoryBackend.js"
