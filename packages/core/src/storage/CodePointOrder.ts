/**
 * Code-point order: how every text key is ordered, in every driver. SQL `BINARY` (SQLite) and `COLLATE "C"`
 * (Postgres) compare UTF-8 bytes, which is Unicode code-point order; a driver that sorts in JavaScript uses
 * {@link compareCodePoints} (never `localeCompare`, never the UTF-16 order of `<`).
 *
 * @since 0.1.0
 */

/**
 * Orders strings by Unicode code point.
 *
 * @since 0.1.0
 */
export const compareCodePoints = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Surrogates (0xD800–0xDFFF) encode code points above 0xFFFF, so they sort after every other BMP unit.
    const xs = x >= 0xd800 && x <= 0xdfff
    const ys = y >= 0xd800 && y <= 0xdfff
    if (xs !== ys) return xs ? 1 : -1
    return x < y ? -1 : 1
  }
  return a.length - b.length
}
