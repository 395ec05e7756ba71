/** PostgreSQL text and jsonb refuse NUL characters, and lone UTF-16 surrogates cannot be
 *  encoded as UTF-8: both are replaced so a hostile or broken payload is still stored. */
// eslint-disable-next-line no-control-regex
const NEEDS_CLEANING = /[\u0000\uD800-\uDFFF]/;

export function cleanText(s: string): string {
	if (!NEEDS_CLEANING.test(s)) return s; // the usual text: nothing to replace, no copy
	// eslint-disable-next-line no-control-regex
	return s.replace(/\u0000/g, '\uFFFD').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Deep copy with every string (keys too) cleaned; depth-limited against pathological input. */
export function cleanValue(v: unknown, depth = 0): unknown {
	if (typeof v === 'string') return cleanText(v);
	if (v === null || typeof v !== 'object') {
		return typeof v === 'number' && !Number.isFinite(v) ? null : v;
	}
	if (depth > 32) return '[too deep]';
	if (Array.isArray(v)) return v.map((x) => cleanValue(x, depth + 1));
	const out: Record<string, unknown> = {};
	for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[cleanText(k)] = cleanValue(x, depth + 1);
	return out;
}

/** cleanValue of an object's own keys, leaving out the given top-level keys (the shared secret). */
export function cleanRecord(v: Record<string, unknown>, dropKeys: readonly string[] = []): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const [k, x] of Object.entries(v)) if (!dropKeys.includes(k)) out[cleanText(k)] = cleanValue(x, 1);
	return out;
}
