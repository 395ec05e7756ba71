import { cleanText } from './sanitize';

/**
 * Typed reads of GetCourse values. GetCourse sends ids as strings or numbers and texts as
 * strings; anything else (an object or array where an id belongs, a boolean, a numeric
 * status) is a broken or forged call and is refused with a reason, never stored as text.
 */
export class ValueReader {
	readonly problems: string[] = [];

	private kind(v: unknown): string {
		if (Array.isArray(v)) return 'an array';
		if (v === null) return 'null';
		return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
	}

	/** An id: string or whole number; '' when absent. */
	id(v: unknown, label: string): string {
		if (v === undefined || v === null) return '';
		if (typeof v === 'string') return cleanText(v);
		if (typeof v === 'number' && Number.isFinite(v)) return String(v);
		this.problems.push(`${label} must be a string or a number, got ${this.kind(v)}`);
		return '';
	}

	/** A text: string; '' when absent. */
	text(v: unknown, label: string): string {
		if (v === undefined || v === null) return '';
		if (typeof v === 'string') return cleanText(v);
		this.problems.push(`${label} must be a string, got ${this.kind(v)}`);
		return '';
	}

	/** A date: string or Unix seconds; undefined when absent. */
	date(v: unknown, label: string): string | number | undefined {
		if (v === undefined || v === null || v === '') return undefined;
		if (typeof v === 'string') return cleanText(v).trim() || undefined;
		if (typeof v === 'number' && Number.isFinite(v)) return v;
		this.problems.push(`${label} must be a date string or Unix seconds, got ${this.kind(v)}`);
		return undefined;
	}
}

export function isObject(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}
