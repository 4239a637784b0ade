/**
 * @lash/lashlang: the Lashlang language.
 *
 * @since 0.1.0
 */

/** Canonical JSON and hashing (architecture §2.2). @since 0.1.0 */
export * as Canonical from "./Canonical.js"
export * from "./Artifact.js"
export * from "./HostCatalog.js"
export * from "./TypeExpr.js"
