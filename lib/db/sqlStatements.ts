/**
 * Splits a migration file into its top-level statements, the way psql does: semicolons inside
 * quotes ('…', E'…', "…"), dollar quotes ($$…$$, $tag$…$tag$), comments (-- and nested /* *\/)
 * and parentheses do not end a statement. Each statement keeps the runner directives written
 * on the comment lines just above it (`-- gcb:batched`; see lib/db/migrate.ts).
 */
export interface SqlStatement {
	/** The statement without its closing semicolon, comments inside it kept. */
	text: string;
	/** Directives from `-- gcb:<word> …` lines between the previous statement and this one, e.g. ['batched']. */
	directives: string[];
	/** 1-based line of the statement's first character (for error messages). */
	line: number;
}

const DIRECTIVE_LINE = /^[ \t]*--[ \t]*gcb:[^\n]*(\n|$)/gm;

/** The text a checksum is taken of: runner directives do not change a migration. */
export function withoutDirectives(sql: string): string {
	return sql.replace(DIRECTIVE_LINE, '');
}

interface Scan {
	/** Index just past the construct starting at i, or -1 when the character at i starts none. */
	(sql: string, i: number): number;
}

/** Skips a quoted string, identifier, dollar-quoted body or comment starting at i. */
const skipQuoted: Scan = (sql, i) => {
	const c = sql[i];
	const next = sql[i + 1];
	if (c === '-' && next === '-') {
		const end = sql.indexOf('\n', i);
		return end === -1 ? sql.length : end + 1;
	}
	if (c === '/' && next === '*') {
		let depth = 1;
		let j = i + 2;
		while (j < sql.length && depth > 0) {
			if (sql[j] === '/' && sql[j + 1] === '*') {
				depth++;
				j += 2;
			} else if (sql[j] === '*' && sql[j + 1] === '/') {
				depth--;
				j += 2;
			} else j++;
		}
		return j;
	}
	if (c === "'" || c === '"') {
		// E'…' strings take backslash escapes; doubled quotes escape in all of them.
		const escapes = c === "'" && /[eE]/.test(sql[i - 1] ?? '') && !/[\w$]/.test(sql[i - 2] ?? '');
		let j = i + 1;
		while (j < sql.length) {
			if (escapes && sql[j] === '\\') j += 2;
			else if (sql[j] === c && sql[j + 1] === c) j += 2;
			else if (sql[j] === c) return j + 1;
			else j++;
		}
		return sql.length;
	}
	if (c === '$' && !/[\w$]/.test(sql[i - 1] ?? '')) {
		const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
		if (tag) {
			const end = sql.indexOf(tag[0], i + tag[0].length);
			return end === -1 ? sql.length : end + tag[0].length;
		}
	}
	return -1;
};

export function splitStatements(sql: string): SqlStatement[] {
	const out: SqlStatement[] = [];
	let start = 0;
	let i = 0;
	const lineAt = (pos: number) => sql.slice(0, pos).split('\n').length;
	const push = (end: number) => {
		const raw = sql.slice(start, end);
		let k = 0;
		while (k < raw.length) {
			if (/\s/.test(raw[k])) k++;
			else if (raw.startsWith('--', k) || raw.startsWith('/*', k)) k = skipQuoted(raw, k);
			else break;
		}
		const lead = raw.slice(0, k);
		const text = raw.slice(lead.length).trimEnd();
		if (text) {
			const directives = [...lead.matchAll(/^[ \t]*--[ \t]*gcb:([a-z_-]+)/gm)].map((m) => m[1]);
			out.push({ text, directives, line: lineAt(start + lead.length) });
		}
	};
	while (i < sql.length) {
		const skipped = skipQuoted(sql, i);
		if (skipped !== -1) {
			i = skipped;
			continue;
		}
		if (sql[i] === ';') {
			push(i);
			start = i + 1;
		}
		i++;
	}
	push(sql.length);
	return out;
}

/**
 * Where a keyword stands at the statement's own level (not inside parentheses, a string or a
 * comment): the index of its first letter — the first occurrence, or the last with `last` — or -1.
 */
function topLevelWord(text: string, word: string, last: boolean): number {
	const re = new RegExp(`^${word}\\b`, 'i');
	let depth = 0;
	let found = -1;
	let i = 0;
	while (i < text.length) {
		const skipped = skipQuoted(text, i);
		if (skipped !== -1) {
			i = skipped;
			continue;
		}
		const c = text[i];
		if (c === '(') depth++;
		else if (c === ')') depth--;
		else if (depth === 0 && re.test(text.slice(i, i + word.length + 1)) && !/[\w$"]/.test(text[i - 1] ?? ' ')) {
			if (!last) return i;
			found = i;
		}
		i++;
	}
	return found;
}

/** Where the last WHERE of the statement's own level is: the index of its W, or -1. */
export function topLevelWhere(text: string): number {
	return topLevelWord(text, 'where', true);
}

/** Whether a top-level keyword (e.g. RETURNING) occurs in the statement. */
export function hasTopLevelWord(text: string, word: string): boolean {
	return topLevelWord(text, word, false) !== -1;
}
