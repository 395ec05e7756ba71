/** The SQL of a pg `query()` call: sent as text, or named as { name, text, values } (lib/db/prepared.ts). */
export function statementText(arg: unknown): string {
	return String(typeof arg === 'object' && arg !== null && 'text' in arg ? (arg as { text: unknown }).text : arg);
}
