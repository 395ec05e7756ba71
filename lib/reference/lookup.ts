import type { Queryable } from '../db/types';
import { readField, TABLES } from './tables';

export class ReferenceInputError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ReferenceInputError';
	}
}

const iso = (d: Date) => d.toISOString();

/** An email as the tables keep it (trimmed, lower-case), or a ReferenceInputError. */
export function readEmail(raw: unknown, what: string): string {
	const r = readField({ name: what, kind: 'email', required: true, max: 255 }, raw);
	if ('error' in r) throw new ReferenceInputError(r.error);
	return r.value as string;
}

/** A training id, or null for "every training". */
export function readTrainingId(raw: unknown): string | null {
	const r = readField(TABLES.mapping.fields.find((f) => f.name === 'training_id')!, raw);
	if ('error' in r) throw new ReferenceInputError(r.error);
	return r.value;
}

/**
 * The student's email as stored, from an email or a GetCourse user id, looked up among the
 * students rows valid at `at`: a student must exist before a mentor is assigned to them.
 */
export async function findStudentEmail(c: Queryable, ref: unknown, at: Date): Promise<string> {
	const s = String(ref ?? '').trim();
	if (!s) throw new ReferenceInputError('student is empty: give an email or a GetCourse user id');
	const byEmail = s.includes('@');
	const key = byEmail ? readEmail(s, 'student') : s;
	const res = await c.query<{ email: string }>(
		`SELECT lower(trim(email)) AS email FROM students
		  WHERE ${byEmail ? 'lower(email) = $1' : 'user_id = $1'} AND valid_from <= $2 AND $2 < valid_to
		  ORDER BY valid_from DESC, id DESC LIMIT 1`,
		[key, at],
	);
	if (!res.rows.length) {
		throw new ReferenceInputError(`no student with ${byEmail ? 'email' : 'GetCourse user id'} ${key} is valid at ${iso(at)}: add the student first`);
	}
	return res.rows[0].email;
}

/** Refuses a mentor who has no mentors row valid at `at`. */
export async function assertMentorValid(c: Queryable, email: string, at: Date): Promise<void> {
	const res = await c.query(`SELECT 1 FROM mentors WHERE lower(email) = $1 AND valid_from <= $2 AND $2 < valid_to LIMIT 1`, [email, at]);
	if (!res.rows.length) throw new ReferenceInputError(`no mentor with email ${email} is valid at ${iso(at)}: add the mentor first`);
}
