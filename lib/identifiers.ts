/** PostgreSQL identifiers (schema names) are validated, then always double-quoted. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function validateIdentifier(name: string, what = 'schema name'): string {
	if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
		throw new Error(
			`Invalid ${what} ${JSON.stringify(String(name).slice(0, 80))}: use 1-63 letters, digits or underscores, not starting with a digit`,
		);
	}
	return name;
}

export function quoteIdentifier(name: string, what?: string): string {
	return `"${validateIdentifier(name, what)}"`;
}
