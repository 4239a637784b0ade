/**
 * @lash/backend-memory: in-memory storage for lash (inline durability tier).
 *
 * @since 0.1.0
 */
export * from "./MemoryBackend.js"
/** The memory storage driver, for composing a backend of your own over it. @since 0.1.0 */
export * as MemoryDriver from "./MemoryDriver.js"
