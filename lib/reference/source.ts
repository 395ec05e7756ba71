import { parseEventDate } from '../payload/dates';
import { readField, type RowValues, type TableDef } from './tables';

/** Where the fields of a table come from in the source rows, and what else the rows may carry. */
export interface SourceOptions {
	/** Source column per field (default: the field's own name). Header names match trimmed and case-insensitively. */
	columns?: Record<string, string | undefined>;
	/** A column holding each row's effective time (empty cells use the sync's effective time). */
	effectiveColumn?: string;
	/** Columns to skip (e.g. Google Sheets' row_number); any other unknown column fails its row. */
	ignoreColumns?: string[];
	/** For dates without an offset ("2026-02-10 09:00"). */
	timeZone: string;
}

export interface SourceRow {
	/** Position of the row in the input (n8n item index, CSV data row from 0). */
	index: number;
	values: RowValues;
	/** This row's own effective time, when the effective column has one. */
	effective: Date | null;
}

export interface RejectedRow {
	index: number;
	reason: string;
	/** The row's key, when it could be read. */
	key?: string;
}

export interface ReadSource {
	rows: SourceRow[];
	rejected: RejectedRow[];
	/** Fields some source row carries: only these are compared; the others keep their current values. */
	provided: Set<string>;
}

export const DEFAULT_IGNORED_COLUMNS = ['row_number'];

/** A header as compared: without a byte order mark, trimmed, lower-case, spaces and dashes as "_" ("First Name" = first_name). */
export const normaliseHeader = (h: string) =>
	String(h)
		.replace(/^\uFEFF/, '')
		.trim()
		.toLowerCase()
		.replace(/[\s-]+/g, '_');

/**
 * Reads source records (n8n items' JSON, CSV records) into rows of the table: every field
 * normalised and validated; a row with a bad value, an empty key or an unknown column is
 * rejected with its index and reason and nothing of it is used.
 */
export function readSource(t: TableDef, records: Array<Record<string, unknown>>, opts: SourceOptions): ReadSource {
	const fieldByHeader = new Map<string, string>();
	for (const f of t.fields) {
		const col = opts.columns?.[f.name];
		fieldByHeader.set(normaliseHeader(col && col.trim() ? col : f.name), f.name);
	}
	const effectiveHeader = opts.effectiveColumn?.trim() ? normaliseHeader(opts.effectiveColumn) : null;
	const ignored = new Set((opts.ignoreColumns ?? DEFAULT_IGNORED_COLUMNS).map(normaliseHeader).filter(Boolean));
	const expected = [...fieldByHeader.keys(), ...(effectiveHeader ? [effectiveHeader] : [])].join(', ');

	const rows: SourceRow[] = [];
	const rejected: RejectedRow[] = [];
	const provided = new Set<string>();
	records.forEach((record, index) => {
		const raw: Record<string, unknown> = {};
		let effectiveRaw: unknown;
		const problems: string[] = [];
		for (const [header, value] of Object.entries(record ?? {})) {
			const h = normaliseHeader(header);
			if (effectiveHeader && h === effectiveHeader) {
				effectiveRaw = value;
				continue;
			}
			const field = fieldByHeader.get(h);
			if (!field) {
				if (!ignored.has(h)) problems.push(`unknown column "${String(header).slice(0, 60)}" (expected: ${expected})`);
				continue;
			}
			if (field in raw) {
				problems.push(`column "${header}" appears twice`);
				continue;
			}
			raw[field] = value;
			provided.add(field);
		}
		const values: RowValues = {};
		for (const f of t.fields) {
			if (f.required && !(f.name in raw)) {
				problems.push(`${f.name} is missing (no value in column "${opts.columns?.[f.name]?.trim() || f.name}")`);
				continue;
			}
			const r = readField(f, raw[f.name]);
			if ('error' in r) problems.push(r.error);
			else values[f.name] = r.value;
		}
		let effective: Date | null = null;
		if (effectiveRaw !== undefined && effectiveRaw !== null && String(effectiveRaw).trim() !== '') {
			effective = effectiveRaw instanceof Date ? effectiveRaw : parseEventDate(typeof effectiveRaw === 'number' ? effectiveRaw : String(effectiveRaw), opts.timeZone);
			if (!effective || Number.isNaN(effective.getTime())) {
				problems.push(`effective time "${String(effectiveRaw).slice(0, 40)}" is not a date (use 2026-02-10, 2026-02-10 09:00 or ISO 8601)`);
			}
		}
		const keyKnown = t.keyFields.every((k) => values[k] !== undefined);
		if (problems.length) {
			rejected.push({ index, reason: problems.join('; '), ...(keyKnown ? { key: t.keyFields.map((k) => values[k] ?? '*').join('|') } : {}) });
			return;
		}
		rows.push({ index, values, effective });
	});
	return { rows, rejected, provided };
}
