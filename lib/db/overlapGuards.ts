import { quoteIdentifier } from '../identifiers';
import type { Queryable } from './types';

/**
 * The database refuses two rows of one reference key valid at the same instant.
 *
 * Validity is the half-open range [valid_from, valid_to): a version closed at T and its
 * successor opened at T do not overlap. Where btree_gist is available the guard is an
 * exclusion constraint over tstzrange(valid_from, valid_to); otherwise a statement trigger
 * checks the written rows and refuses an overlap with SQLSTATE 23P01 (the code an exclusion
 * constraint raises) and a message naming both rows. Data that already overlaps, or a row that
 * ends before it starts (valid_from after valid_to: tstzrange refuses it, so the constraint
 * cannot be built), is reported and that table's guard stays off until it is fixed; it never
 * makes `init` fail.
 */

export interface GuardedKey {
	table: 'mentors' | 'students' | 'trainings' | 'lessons' | 'mapping';
	/** Short name used in constraint, trigger and function names. */
	name: string;
	/** What the key is, for people: "lower(email)". */
	label: string;
	/** SQL expressions of the key; p is a row alias with its dot ("a.") or "" for the bare column. */
	columns: (p: string) => string[];
}

export const GUARDED_KEYS: GuardedKey[] = [
	{ table: 'mentors', name: 'email', label: 'lower(email)', columns: (p) => [`lower(${p}email)`] },
	{ table: 'students', name: 'email', label: 'lower(email)', columns: (p) => [`lower(${p}email)`] },
	{ table: 'students', name: 'user_id', label: 'user_id', columns: (p) => [`${p}user_id`] },
	{ table: 'trainings', name: 'training_id', label: 'training_id', columns: (p) => [`${p}training_id`] },
	{ table: 'lessons', name: 'lesson_id', label: 'lesson_id', columns: (p) => [`${p}lesson_id`] },
	{
		table: 'mapping',
		name: 'student_training',
		label: "lower(student_email), coalesce(training_id, '')",
		columns: (p) => [`lower(${p}student_email)`, `coalesce(${p}training_id, '')`],
	},
];

export type GuardKind = 'exclusion' | 'trigger';
export type GuardState = 'present' | 'installed' | 'off';

export interface OverlapGuardReport {
	table: string;
	key: string;
	state: GuardState;
	kind: GuardKind | null;
	/** Pairs of rows of this key valid at the same instant. */
	overlaps: number;
	/** Rows of the table whose valid_from is after their valid_to. */
	reversed: number;
	message: string;
}

export interface ReversedRow {
	table: string;
	id: string;
	valid_from: Date;
	valid_to: Date;
}

export interface OverlapRow {
	table: string;
	key: string;
	/** The key's value, e.g. the lower-cased email. */
	value: string;
	a: { id: string; valid_from: Date; valid_to: Date };
	b: { id: string; valid_from: Date; valid_to: Date };
}

export interface EnsureOverlapGuardsOptions {
	/** Install triggers even where btree_gist is available (tests, or a server where GiST is unwanted). */
	forceTrigger?: boolean;
}

export const constraintName = (k: GuardedKey) => `${k.table}_${k.name}_no_overlap`;
const triggerFunctionName = (k: GuardedKey) => `gcb_${k.table}_${k.name}_no_overlap`;
const triggerNames = (k: GuardedKey) => [`${k.table}_${k.name}_no_overlap_ins`, `${k.table}_${k.name}_no_overlap_upd`];

/** A key's value as one text, for messages and reports. */
const keyText = (k: GuardedKey, a: string) => k.columns(`${a}.`).map((c) => `coalesce(${c}::text, '')`).join(` || ' / ' || `);

/** Overlapping pairs of one key (a.id < b.id), as rows for people; limit bounds the report. */
export async function findOverlapsOf(q: Queryable, k: GuardedKey, limit = 1000): Promise<OverlapRow[]> {
	const table = quoteIdentifier(k.table, 'table name');
	const same = k
		.columns('a.')
		.map((c, i) => `${c} = ${k.columns('b.')[i]}`)
		.join(' AND ');
	const res = await q.query<{ value: string; a_id: string; a_from: Date; a_to: Date; b_id: string; b_from: Date; b_to: Date }>(
		`SELECT ${keyText(k, 'a')} AS value,
		        a.id::text AS a_id, a.valid_from AS a_from, a.valid_to AS a_to,
		        b.id::text AS b_id, b.valid_from AS b_from, b.valid_to AS b_to
		   FROM ${table} a JOIN ${table} b ON ${same} AND a.id < b.id
		        AND a.valid_from < b.valid_to AND b.valid_from < a.valid_to
		  ORDER BY a.id, b.id
		  LIMIT $1::int`,
		[limit],
	);
	return res.rows.map((r) => ({
		table: k.table,
		key: k.label,
		value: r.value,
		a: { id: r.a_id, valid_from: r.a_from, valid_to: r.a_to },
		b: { id: r.b_id, valid_from: r.b_from, valid_to: r.b_to },
	}));
}

/** Rows that end before they start (valid_from > valid_to), per table; limit bounds the report. */
export async function findReversedRanges(q: Queryable, limitPerTable = 1000): Promise<ReversedRow[]> {
	const out: ReversedRow[] = [];
	for (const table of [...new Set(GUARDED_KEYS.map((k) => k.table))]) {
		const r = await q.query<{ id: string; valid_from: Date; valid_to: Date }>(
			`SELECT id::text AS id, valid_from, valid_to FROM ${quoteIdentifier(table, 'table name')} WHERE valid_from > valid_to ORDER BY id LIMIT $1::int`,
			[limitPerTable],
		);
		out.push(...r.rows.map((x) => ({ table, ...x })));
	}
	return out;
}

/** Every overlapping pair of every guarded key (what `getcourse-bot check` lists). */
export async function findOverlaps(q: Queryable, limitPerKey = 1000): Promise<OverlapRow[]> {
	const out: OverlapRow[] = [];
	for (const k of GUARDED_KEYS) out.push(...(await findOverlapsOf(q, k, limitPerKey)));
	return out;
}

async function currentSchema(q: Queryable): Promise<string> {
	const r = await q.query<{ s: string | null }>('SELECT current_schema() AS s');
	if (!r.rows[0].s) throw new Error('No current schema: set search_path to the GetCourse Bot schema first');
	return r.rows[0].s;
}

async function existingGuard(q: Queryable, schema: string, k: GuardedKey): Promise<GuardKind | null> {
	const r = await q.query<{ exclusion: boolean; trigger: boolean }>(
		`SELECT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
		                 WHERE n.nspname = $1 AND t.relname = $2 AND c.conname = $3 AND c.contype = 'x') AS exclusion,
		        EXISTS (SELECT 1 FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace
		                 WHERE n.nspname = $1 AND t.relname = $2 AND g.tgname = $4 AND NOT g.tgisinternal) AS trigger`,
		[schema, k.table, constraintName(k), triggerNames(k)[0]],
	);
	if (r.rows[0].exclusion) return 'exclusion';
	if (r.rows[0].trigger) return 'trigger';
	return null;
}

async function btreeGistInstalled(q: Queryable): Promise<boolean> {
	const r = await q.query(`SELECT 1 FROM pg_extension WHERE extname = 'btree_gist'`);
	return r.rows.length > 0;
}

/**
 * btree_gist where it is not installed yet: in schema public, never in the configured schema
 * (dropping that schema would drop an extension other schemas use). No right to create it, no
 * public schema, not shipped with the server: the caller falls back to triggers.
 */
async function ensureBtreeGist(q: Queryable): Promise<boolean> {
	if (await btreeGistInstalled(q)) return true;
	const available = await q.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'btree_gist'`);
	if (!available.rows.length) return false;
	// A DO block traps the failure in a subtransaction, so a caller's transaction survives it.
	await q.query(`DO $gcb$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('getcourse-bot:btree_gist'));
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gist') THEN
        CREATE EXTENSION btree_gist SCHEMA public;
    END IF;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'btree_gist not created: %', SQLERRM;
END
$gcb$`);
	return btreeGistInstalled(q);
}

/** Serialises guard installs of concurrent callers (held to the end of the statement's transaction). */
const INSTALL_LOCK = `PERFORM pg_advisory_xact_lock(hashtext('getcourse-bot:overlap-guards'));`;

async function installExclusion(q: Queryable, schema: string, k: GuardedKey): Promise<void> {
	const elements = [...k.columns('').map((c) => `(${c}) WITH =`), 'tstzrange(valid_from, valid_to) WITH &&'];
	const ddl = `ALTER TABLE ${quoteIdentifier(schema)}.${quoteIdentifier(k.table, 'table name')}
	    ADD CONSTRAINT ${quoteIdentifier(constraintName(k), 'constraint name')} EXCLUDE USING gist (${elements.join(', ')})`;
	// Rows that overlap may arrive between the check and this statement, or another caller may
	// install the same guard: the DO block keeps either from aborting the caller's transaction;
	// the caller reads the outcome from the catalog. (Names are validated identifiers.)
	await q.query(`DO $gcb$
BEGIN
    ${INSTALL_LOCK}
    IF NOT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                    WHERE n.nspname = '${schema}' AND t.relname = '${k.table}' AND c.conname = '${constraintName(k)}') THEN
        ${ddl};
    END IF;
EXCEPTION WHEN exclusion_violation OR duplicate_object OR duplicate_table THEN
    RAISE NOTICE 'overlap guard not installed: %', SQLERRM;
END
$gcb$`);
}

/** The trigger's function: one advisory lock per table serialises writers, then one set-based check. */
function triggerFunctionSql(schema: string, k: GuardedKey): string {
	const s = quoteIdentifier(schema);
	const table = `${s}.${quoteIdentifier(k.table, 'table name')}`;
	const same = k
		.columns('o.')
		.map((c, i) => `${c} = ${k.columns('n.')[i]}`)
		.join(' AND ');
	const lockKey = `getcourse-bot:overlap:${schema}.${k.table}`;
	return `CREATE OR REPLACE FUNCTION ${s}.${quoteIdentifier(triggerFunctionName(k), 'function name')}() RETURNS trigger
LANGUAGE plpgsql AS $gcb$
DECLARE
    r record;
BEGIN
    -- Writers of this table wait here for each other, so each check sees the rows committed before it.
    PERFORM pg_advisory_xact_lock(hashtext('${lockKey}'));
    SELECT n.id AS new_id, n.valid_from AS new_from, n.valid_to AS new_to,
           o.id AS old_id, o.valid_from AS old_from, o.valid_to AS old_to,
           ${keyText(k, 'n')} AS value
      INTO r
      FROM new_rows n
      JOIN ${table} o ON ${same} AND o.id <> n.id AND o.valid_from < n.valid_to AND n.valid_from < o.valid_to
     ORDER BY n.id, o.id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'exclusion_violation',
            CONSTRAINT = '${constraintName(k)}',
            MESSAGE = format('%s rows %s and %s overlap: both are valid at the same time for %s = %s ([%s, %s) and [%s, %s))',
                             '${k.table}', r.new_id, r.old_id, '${k.label.replace(/'/g, "''")}', r.value,
                             r.new_from, r.new_to, r.old_from, r.old_to),
            HINT = 'Close the current row (valid_to = the new row''s valid_from) before inserting the new version.';
    END IF;
    RETURN NULL;
END
$gcb$`;
}

async function installTrigger(q: Queryable, schema: string, k: GuardedKey): Promise<void> {
	const s = quoteIdentifier(schema);
	const table = `${s}.${quoteIdentifier(k.table, 'table name')}`;
	const fn = `${s}.${quoteIdentifier(triggerFunctionName(k), 'function name')}`;
	const [ins, upd] = triggerNames(k).map((n) => quoteIdentifier(n, 'trigger name'));
	// One statement, so concurrent callers take turns; transition tables allow one event per
	// trigger: one for INSERT, one for UPDATE.
	await q.query(`DO $gcb_install$
BEGIN
    ${INSTALL_LOCK}
    ${triggerFunctionSql(schema, k)};
    CREATE OR REPLACE TRIGGER ${ins} AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
    CREATE OR REPLACE TRIGGER ${upd} AFTER UPDATE ON ${table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
END
$gcb_install$`);
}

/**
 * Makes sure each reference key has its overlap guard. For each key: present → reported;
 * absent and the data has no overlap → installed (exclusion constraint with btree_gist,
 * else a trigger); overlaps in the data → left off and reported, never an error.
 * Works in the connection's current schema (the configured one).
 */
export async function ensureOverlapGuards(c: Queryable, opts: EnsureOverlapGuardsOptions = {}): Promise<OverlapGuardReport[]> {
	const schema = await currentSchema(c);
	const reports: OverlapGuardReport[] = [];
	const reversedRows = await findReversedRanges(c, 1_000_000);
	let gist: boolean | undefined;
	for (const k of GUARDED_KEYS) {
		const what = `${k.table} (${k.label})`;
		const overlaps = (await findOverlapsOf(c, k, 1_000_000)).length;
		const reversedIds = reversedRows.filter((r) => r.table === k.table).map((r) => r.id);
		const reversed = reversedIds.length;
		const present = await existingGuard(c, schema, k);
		if (present) {
			reports.push({
				table: k.table,
				key: k.label,
				state: 'present',
				kind: present,
				overlaps,
				reversed,
				message: overlaps
					? `${what}: overlap guard (${present}) present, but ${overlaps} overlapping pair(s) exist: run "getcourse-bot check"`
					: `${what}: overlap guard (${present}) present`,
			});
			continue;
		}
		if (overlaps || reversed) {
			const why = [
				overlaps && `${overlaps} pair(s) of rows overlap`,
				reversed && `${reversed} row(s) end before they start (valid_from after valid_to: id ${reversedIds.slice(0, 10).join(', ')}${reversed > 10 ? ', …' : ''})`,
			].filter(Boolean);
			reports.push({
				table: k.table,
				key: k.label,
				state: 'off',
				kind: null,
				overlaps,
				reversed,
				message: `${what}: ${why.join(' and ')}, so the overlap guard stays off until they are fixed (see "getcourse-bot check")`,
			});
			continue;
		}
		let kind: GuardKind = 'trigger';
		if (!opts.forceTrigger) {
			if (gist === undefined) gist = await ensureBtreeGist(c);
			if (gist) kind = 'exclusion';
		}
		if (kind === 'exclusion') await installExclusion(c, schema, k);
		else await installTrigger(c, schema, k);
		const now = await existingGuard(c, schema, k);
		if (now) {
			const why = kind === 'trigger' ? (opts.forceTrigger ? ' (trigger requested)' : ' (btree_gist is not available)') : '';
			reports.push({ table: k.table, key: k.label, state: 'installed', kind: now, overlaps: 0, reversed: 0, message: `${what}: overlap guard (${now}) installed${why}` });
		} else {
			const late = (await findOverlapsOf(c, k, 1_000_000)).length;
			reports.push({
				table: k.table,
				key: k.label,
				state: 'off',
				kind: null,
				overlaps: late,
				reversed: 0,
				message: `${what}: overlapping rows arrived while the guard was being installed; it stays off (see "getcourse-bot check")`,
			});
		}
	}
	return reports;
}

/** Guard refusals (exclusion constraint or trigger) as an Error a person can act on; other errors unchanged. */
export function describeOverlapRefusal(err: unknown): Error | null {
	const e = err as { code?: string; constraint?: string; message?: string; detail?: string };
	if (e?.code !== '23P01') return null;
	const k = GUARDED_KEYS.find((g) => constraintName(g) === e.constraint);
	const where = k ? `${k.table} (${k.label})` : 'a reference table';
	const detail = e.detail ? ` ${e.detail}` : '';
	return new OverlapRefusedError(`The database refused overlapping rows in ${where}: ${e.message}.${detail}`, k?.table);
}

export class OverlapRefusedError extends Error {
	constructor(
		message: string,
		readonly table?: string,
	) {
		super(message);
		this.name = 'OverlapRefusedError';
	}
}
