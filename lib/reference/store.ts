import { describeOverlapRefusal } from '../db/overlapGuards';
import type { Queryable } from '../db/types';
import { quoteIdentifier } from '../identifiers';
import type { Plan, StoredRow } from './plan';
import type { FieldDef, RowValues, TableDef } from './tables';

const tableName = (t: TableDef) => quoteIdentifier(t.name, 'table name');
const column = (f: FieldDef) => quoteIdentifier(f.name, 'column name');

/**
 * A field's stored value as text. A mentor's telegram_id is kept as a BIGINT with the forum topic
 * beside it (telegram_topic_id): the field reads back as `-100123:45`, as it was imported.
 */
export function fieldText(f: FieldDef, alias = ''): string {
	const a = alias ? `${alias}.` : '';
	if (f.kind === 'telegram') return `(${a}${column(f)}::text || COALESCE(':' || ${a}telegram_topic_id::text, ''))`;
	if (f.kind === 'hours') return `trim_scale(${a}${column(f)})::text`; // 24, not 24.00
	return `${a}${column(f)}::text`;
}

/** Writers of one reference table take turns (until the end of the transaction). */
export async function lockReferenceTable(c: Queryable, t: TableDef): Promise<void> {
	await c.query(`SELECT pg_advisory_xact_lock(hashtext('getcourse-bot:reference:' || current_schema() || '.' || $1))`, [t.name]);
}

/** The database's clock at the start of the transaction: "now" for every row of one sync. */
export async function transactionNow(c: Queryable): Promise<Date> {
	return (await c.query<{ now: Date }>('SELECT now() AS now')).rows[0].now;
}

/** A stored value as the sync compares it: trimmed, empty as null, emails lower-case. */
export function normaliseStored(f: FieldDef, v: unknown): string | null {
	if (v === null || v === undefined) return null;
	const s = String(v).trim();
	if (!s) return null;
	if (f.kind === 'hours') return String(Number(s)); // numeric "24.00" is 24
	return f.kind === 'email' ? s.toLowerCase() : s;
}

/** Rows of the table still valid after `since` (every row a sync at or after it can touch). */
export async function loadStored(c: Queryable, t: TableDef, since: Date, where = '', params: unknown[] = []): Promise<StoredRow[]> {
	const cols = t.fields.map((f) => `${fieldText(f)} AS ${column(f)}`).join(', ');
	const res = await c.query<Record<string, unknown> & { id: string; valid_from: Date; valid_to: Date; from_text: string; to_text: string }>(
		`SELECT id::text AS id, ${cols}, valid_from, valid_to, valid_from::text AS from_text, valid_to::text AS to_text
		   FROM ${tableName(t)}
		  WHERE valid_to > $1 ${where ? `AND (${where})` : ''}
		  ORDER BY id`,
		[since, ...params],
	);
	return res.rows.map((r) => {
		const values: RowValues = {};
		for (const f of t.fields) values[f.name] = normaliseStored(f, r[f.name]);
		return { id: r.id, values, valid_from: r.valid_from, valid_to: r.valid_to, fromText: r.from_text, toText: r.to_text };
	});
}

export class ReferenceChangedError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ReferenceChangedError';
	}
}

/**
 * Applies a plan: first closes (valid_to = T, the only in-place change), then inserts the new
 * versions, two set-based statements. Fills in the new rows' ids. A refusal of the database's
 * overlap guard comes back as an OverlapRefusedError.
 */
export async function applyPlan(c: Queryable, t: TableDef, plan: Plan): Promise<void> {
	try {
		if (plan.closes.length) {
			const res = await c.query(
				`UPDATE ${tableName(t)} AS t SET valid_to = v.at
				   FROM unnest($1::bigint[], $2::timestamptz[]) AS v(id, at)
				  WHERE t.id = v.id AND t.valid_from < v.at AND t.valid_to > v.at`,
				[plan.closes.map((x) => x.id), plan.closes.map((x) => x.at)],
			);
			if (res.rowCount !== plan.closes.length) {
				throw new ReferenceChangedError(
					`${t.name} changed while the sync ran (${plan.closes.length - (res.rowCount ?? 0)} row(s) to close were already closed or edited): nothing was written, run the sync again`,
				);
			}
		}
		if (plan.inserts.length) {
			const ids = (
				await c.query<{ id: string }>(`SELECT nextval(pg_get_serial_sequence($1, 'id'))::text AS id FROM generate_series(1, $2::int)`, [
					`${tableName(t)}`,
					plan.inserts.length,
				])
			).rows.map((r) => r.id);
			const arrays: unknown[] = [ids];
			const names = ['id'];
			const targets = ['id'];
			const select = ['v.id'];
			for (const f of t.fields) {
				arrays.push(plan.inserts.map((i) => i.values[f.name]));
				names.push(column(f));
				targets.push(column(f));
				if (f.kind === 'telegram') {
					targets.push('telegram_topic_id');
					select.push(`split_part(v.${column(f)}, ':', 1)::bigint`, `NULLIF(split_part(v.${column(f)}, ':', 2), '')::integer`);
				} else select.push(f.kind === 'hours' ? `v.${column(f)}::numeric` : `v.${column(f)}`);
			}
			arrays.push(plan.inserts.map((i) => i.from), plan.inserts.map((i) => i.toText));
			const types = ['bigint', ...t.fields.map(() => 'text'), 'timestamptz', 'text'];
			await c.query(
				`INSERT INTO ${tableName(t)} (${targets.join(', ')}, valid_from, valid_to)
				 SELECT ${select.join(', ')}, v.valid_from, coalesce(v.valid_to::timestamptz, '9999-12-31'::timestamptz)
				   FROM unnest(${types.map((ty, i) => `$${i + 1}::${ty}[]`).join(', ')}) AS v(${[...names, 'valid_from', 'valid_to'].join(', ')})`,
				arrays,
			);
			plan.inserts.forEach((ins, i) => {
				const change = plan.changes[ins.change];
				if (change.new) change.new.id = ids[i];
			});
		}
	} catch (err) {
		throw describeOverlapRefusal(err) ?? err;
	}
}
