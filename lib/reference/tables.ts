import { normaliseEmail } from '../email';

/**
 * The five reference tables as the sync sees them: their business columns (what a sheet or a
 * CSV holds), how each value is read, and the natural key a row is matched on. The surrogate
 * id, valid_from/valid_to and the timestamps are the database's business, never the source's.
 */

export const REFERENCE_TABLES = ['mentors', 'students', 'trainings', 'lessons', 'mapping'] as const;
export type ReferenceTable = (typeof REFERENCE_TABLES)[number];

export type FieldKind = 'email' | 'text' | 'id' | 'telegram' | 'hours';

export interface FieldDef {
	name: string;
	kind: FieldKind;
	/** An empty value fails the row. */
	required: boolean;
	/** Longest value the column takes. */
	max: number;
}

export interface TableDef {
	name: ReferenceTable;
	fields: FieldDef[];
	/** Fields of the natural key, in order (students are also matched by user_id, see plan.ts). */
	keyFields: string[];
}

const email = (name: string, required = true): FieldDef => ({ name, kind: 'email', required, max: 255 });
const text = (name: string, max: number, required = false): FieldDef => ({ name, kind: 'text', required, max });
const id = (name: string, required = true): FieldDef => ({ name, kind: 'id', required, max: 50 });

export const TABLES: Record<ReferenceTable, TableDef> = {
	mentors: {
		name: 'mentors',
		fields: [email('email'), text('first_name', 255), text('last_name', 255), { name: 'telegram_id', kind: 'telegram', required: false, max: 31 }],
		keyFields: ['email'],
	},
	students: {
		name: 'students',
		fields: [id('user_id', false), email('email'), text('first_name', 255), text('last_name', 255)],
		keyFields: ['email'],
	},
	trainings: {
		name: 'trainings',
		// review_hours: the review clock's Check Within for this training (empty: the clock's default)
		fields: [id('training_id'), text('name', 500, true), { name: 'review_hours', kind: 'hours', required: false, max: 12 }],
		keyFields: ['training_id'],
	},
	lessons: {
		name: 'lessons',
		fields: [id('lesson_id'), id('training_id', false), text('name', 500, true)],
		keyFields: ['lesson_id'],
	},
	mapping: {
		name: 'mapping',
		fields: [email('student_email'), email('mentor_email'), id('training_id', false)],
		keyFields: ['student_email', 'training_id'],
	},
};

export function tableDef(name: string): TableDef {
	const t = (TABLES as Record<string, TableDef | undefined>)[String(name).trim().toLowerCase()];
	if (!t) throw new Error(`Unknown reference table "${name}": use one of ${REFERENCE_TABLES.join(', ')}`);
	return t;
}

/** Normalised values of one row: a string or null per field. */
export type RowValues = Record<string, string | null>;

/**
 * The natural key of a row as one string: emails are stored lower-cased and trimmed, so the
 * comparison is case-insensitive; a mapping without a training (every training) is "*".
 */
export function keyOf(t: TableDef, v: RowValues): string {
	return t.keyFields.map((f) => v[f] ?? '*').join('|');
}

/** Reads one value of a field; returns the normalised value or a reason. */
export function readField(f: FieldDef, raw: unknown): { value: string | null } | { error: string } {
	if (raw !== null && raw !== undefined && typeof raw === 'object') return { error: `${f.name} must be a single value, got an object` };
	if (typeof raw === 'number' && !Number.isFinite(raw)) return { error: `${f.name} is not a number` };
	let v = raw === null || raw === undefined ? '' : String(raw).trim();
	if (!v) return f.required ? { error: `${f.name} is empty` } : { value: null };
	switch (f.kind) {
		case 'email': {
			// Trimmed, lower-case, Unicode domain: compared with what GetCourse sends (lib/email.ts).
			const e = normaliseEmail(v);
			if (!e) return { error: `${f.name} "${v.slice(0, 80)}" is not an email address` };
			v = e;
			break;
		}
		case 'telegram': {
			// A forum topic of a group is written -100123:45: stored as telegram_id and telegram_topic_id.
			const m = /^(-?\d{1,19})(?::(\d{1,10}))?$/.exec(v);
			const topic = m?.[2] === undefined ? null : Number(m[2]);
			if (!m || BigInt(m[1]) > 9223372036854775807n || BigInt(m[1]) < -9223372036854775808n || (topic !== null && (topic < 1 || topic > 2147483647))) {
				return { error: `${f.name} "${v.slice(0, 40)}" is not a Telegram chat id (a whole number, or a forum topic as -100123:45)` };
			}
			v = BigInt(m[1]).toString() + (topic === null ? '' : `:${topic}`);
			break;
		}
		case 'id':
			if (/\s/.test(v)) return { error: `${f.name} "${v.slice(0, 60)}" contains spaces` };
			break;
		case 'hours': {
			// stored as numeric(8,2): rounded here, so the next sync compares equal
			const n = Math.round(Number(v.replace(',', '.')) * 100) / 100;
			if (!Number.isFinite(n) || n <= 0 || n > 8760) return { error: `${f.name} "${v.slice(0, 20)}" is not a number of hours above 0 and at most 8760 (like 24 or 0.5)` };
			v = String(n);
			break;
		}
		default:
			break;
	}
	if (v.length > f.max) return { error: `${f.name} is longer than ${f.max} characters` };
	return { value: v };
}
