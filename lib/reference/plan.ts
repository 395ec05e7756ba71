import type { RejectedRow, SourceRow } from './source';
import { keyOf, type RowValues, type TableDef } from './tables';

/**
 * The sync plan, computed in memory from the source rows and the stored rows (pure: no SQL).
 *
 * For each source row, the stored row of its key valid at R = max(now, T) (T = the row's
 * effective time) is its current row:
 *   same values        → unchanged
 *   other values       → versioned: the current row is closed at T (valid_to = T, the only
 *                        in-place change ever) and the new version runs from T to where the
 *                        old one ended (open-ended, or the start of a version already planned)
 *   no current row     → created: from T to the start of the key's next stored row, if any
 * Stored rows valid at max(now, T) whose key is not in the source are closed at T, only with
 * closeMissing and only when every source row is valid. A version never starts at or before
 * the start of the one it replaces, and no planned row overlaps another row of its key(s):
 * such source rows are rejected, so the database's overlap guard is never tripped.
 */

export type Action = 'created' | 'versioned' | 'closed' | 'unchanged';

export interface StoredRow {
	id: string;
	values: RowValues;
	valid_from: Date;
	valid_to: Date;
	/** The bounds as the database printed them (microseconds kept), for writing them back exactly. */
	fromText: string;
	toText: string;
}

export interface VersionRow {
	id: string | null;
	values: RowValues;
	valid_from: Date;
	/** null: open-ended (the schema's 9999-12-31). */
	valid_to: Date | null;
}

export interface Change {
	/** The source row's index; null for a row closed because the source lacks it. */
	index: number | null;
	key: string;
	action: Action;
	effectiveAt: Date;
	old: VersionRow | null;
	new: VersionRow | null;
	/** Fields whose value differs (versioned). */
	changed: string[];
}

export interface PlanOptions {
	now: Date;
	/** Effective time of rows without their own, and of closing missing rows. */
	defaultAt: Date;
	closeMissing: boolean;
	/** Fields the source carries; the others keep their stored values. */
	provided: Set<string>;
	/** Rows already rejected while reading the source (they disable closeMissing). */
	rejected: RejectedRow[];
}

export interface Plan {
	changes: Change[];
	rejected: RejectedRow[];
	warnings: string[];
	/** Stored rows to close at `at` (valid_to = at). */
	closes: Array<{ id: string; at: Date }>;
	/** New rows, each the `new` of changes[change]; toText is the exact end (null: open-ended). */
	inserts: Array<{ change: number; values: RowValues; from: Date; to: Date | null; toText: string | null }>;
}

/** Year 9999 and later is "open-ended" (the schema's default valid_to). */
const isOpenEnded = (d: Date) => d.getUTCFullYear() >= 9999;
const iso = (d: Date | null) => (d ? d.toISOString() : 'open end');
const later = (a: Date, b: Date) => (a.getTime() >= b.getTime() ? a : b);
const validAt = (rows: StoredRow[] | undefined, at: Date) => (rows ?? []).filter((r) => r.valid_from <= at && at < r.valid_to);

/** Keys a row is known under: the natural key; students also by GetCourse user id. */
function identities(t: TableDef, v: RowValues): string[] {
	if (t.name === 'students') return v.user_id ? [`u:${v.user_id}`, `e:${v.email}`] : [`e:${v.email}`];
	return [`k:${keyOf(t, v)}`];
}

/** How a change names its row: students by user id when known (it survives an email change). */
export function displayKey(t: TableDef, v: RowValues): string {
	if (t.name === 'students') return v.user_id ?? String(v.email);
	return keyOf(t, v);
}

function index(t: TableDef, stored: StoredRow[]): Map<string, StoredRow[]> {
	const m = new Map<string, StoredRow[]>();
	for (const r of stored) {
		for (const k of identities(t, r.values)) {
			const list = m.get(k);
			if (list) list.push(r);
			else m.set(k, [r]);
		}
	}
	return m;
}

/** The stored row a source row continues, or a reason it cannot be matched. */
function match(t: TableDef, idx: Map<string, StoredRow[]>, v: RowValues, at: Date): { row: StoredRow | null } | { error: string } {
	const one = (rows: StoredRow[], what: string): { row: StoredRow | null } | { error: string } =>
		rows.length > 1
			? { error: `${rows.length} ${t.name} rows of ${what} are valid at ${iso(at)} (ids ${rows.map((r) => r.id).join(', ')}): fix the overlap first (getcourse-bot check)` }
			: { row: rows[0] ?? null };
	if (t.name === 'students') {
		if (v.user_id) {
			const byUser = validAt(idx.get(`u:${v.user_id}`), at);
			if (byUser.length) return one(byUser, `user_id ${v.user_id}`);
			// A student known by email only gets the user id as a new version.
			return one(
				validAt(idx.get(`e:${v.email}`), at).filter((r) => !r.values.user_id),
				`email ${v.email}`,
			);
		}
		return one(validAt(idx.get(`e:${v.email}`), at), `email ${v.email}`);
	}
	return one(validAt(idx.get(`k:${keyOf(t, v)}`), at), `key ${keyOf(t, v)}`);
}

function build(t: TableDef, stored: StoredRow[], idx: Map<string, StoredRow[]>, source: SourceRow[], opts: PlanOptions, rejected: RejectedRow[]): Plan {
	const plan: Plan = { changes: [], rejected, warnings: [], closes: [], inserts: [] };
	const rejectedIdx = new Set(rejected.map((r) => r.index));
	const claimedRow = new Map<string, number>();
	const claimedKey = new Map<string, number>();
	const reject = (s: SourceRow, reason: string) => {
		rejected.push({ index: s.index, reason, key: displayKey(t, s.values) });
		rejectedIdx.add(s.index);
	};

	for (const s of source) {
		if (rejectedIdx.has(s.index)) continue;
		const at = s.effective ?? opts.defaultAt;
		const ids = identities(t, s.values);
		const dup = ids.map((k) => claimedKey.get(k)).find((i) => i !== undefined);
		if (dup !== undefined) {
			reject(s, `same key as item ${dup} of the source (${ids.map((k) => k.slice(2)).join(' / ')})`);
			continue;
		}
		const m = match(t, idx, s.values, later(opts.now, at));
		if ('error' in m) {
			reject(s, m.error);
			continue;
		}
		const cur = m.row;
		if (cur && claimedRow.has(cur.id)) {
			reject(s, `continues the same ${t.name} row (id ${cur.id}) as item ${claimedRow.get(cur.id)} of the source`);
			continue;
		}
		for (const k of ids) claimedKey.set(k, s.index);
		if (cur) claimedRow.set(cur.id, s.index);

		const values: RowValues = {};
		for (const f of t.fields) {
			const incoming = opts.provided.has(f.name) ? s.values[f.name] : undefined;
			// A GetCourse user id does not go away: an empty cell keeps the known one.
			const sticky = t.name === 'students' && f.name === 'user_id' && incoming === null;
			values[f.name] = incoming === undefined || sticky ? (cur ? cur.values[f.name] : null) : incoming;
		}
		const key = displayKey(t, values);
		if (!cur) {
			const change = plan.changes.push({ index: s.index, key, action: 'created', effectiveAt: at, old: null, new: null, changed: [] }) - 1;
			plan.inserts.push({ change, values, from: at, to: null, toText: null });
			continue;
		}
		const changed = t.fields.filter((f) => (values[f.name] ?? null) !== (cur.values[f.name] ?? null)).map((f) => f.name);
		const old: VersionRow = { id: cur.id, values: cur.values, valid_from: cur.valid_from, valid_to: isOpenEnded(cur.valid_to) ? null : cur.valid_to };
		if (!changed.length) {
			plan.changes.push({ index: s.index, key, action: 'unchanged', effectiveAt: at, old, new: null, changed });
			continue;
		}
		if (at <= cur.valid_from) {
			reject(
				s,
				`effective time ${iso(at)} is not after valid_from ${iso(cur.valid_from)} of the current ${t.name} row (id ${cur.id}): a new version must start after the one it replaces`,
			);
			claimedRow.delete(cur.id);
			for (const k of ids) claimedKey.delete(k);
			continue;
		}
		plan.closes.push({ id: cur.id, at });
		const change = plan.changes.push({ index: s.index, key, action: 'versioned', effectiveAt: at, old, new: null, changed }) - 1;
		plan.inserts.push({ change, values, from: at, to: old.valid_to, toText: old.valid_to ? cur.toText : null });
	}

	if (opts.closeMissing) {
		if (rejected.length) {
			plan.warnings.push(`rows missing from the source were not closed because ${rejected.length} source row(s) were rejected: fix them and sync again`);
		} else if (!source.length) {
			plan.warnings.push('the source has no rows: nothing was closed (an empty source would close every row)');
		} else {
			const at = opts.defaultAt;
			const seen = (r: StoredRow) => identities(t, r.values).some((k) => claimedKey.has(k)) || claimedRow.has(r.id);
			for (const r of stored) {
				if (!(r.valid_from <= later(opts.now, at) && later(opts.now, at) < r.valid_to) || seen(r)) continue;
				if (at <= r.valid_from) {
					plan.warnings.push(`${t.name} row id ${r.id} (${displayKey(t, r.values)}) is missing from the source but was not closed: it starts at ${iso(r.valid_from)}, not before the effective time ${iso(at)}`);
					continue;
				}
				const old: VersionRow = { id: r.id, values: r.values, valid_from: r.valid_from, valid_to: isOpenEnded(r.valid_to) ? null : r.valid_to };
				plan.closes.push({ id: r.id, at });
				plan.changes.push({ index: null, key: displayKey(t, r.values), action: 'closed', effectiveAt: at, old, new: null, changed: [] });
			}
		}
	}
	return plan;
}

/**
 * Rows the plan would insert that overlap another row of one of their keys, once the planned
 * closes are applied (new rows are first cut short at the next stored row of their key).
 * Returns, per source index, the reason.
 */
function conflicts(t: TableDef, idx: Map<string, StoredRow[]>, plan: Plan): Map<number, string> {
	const closedAt = new Map(plan.closes.map((c) => [c.id, c.at]));
	const out = new Map<number, string>();
	const placed = new Map<string, Array<{ from: Date; to: Date; index: number }>>();
	for (const ins of plan.inserts) {
		const change = plan.changes[ins.change];
		const index = change.index as number;
		const keys = identities(t, ins.values);
		// A created row runs until the next stored row of its key starts.
		if (change.action === 'created') {
			for (const k of keys) {
				for (const r of idx.get(k) ?? []) {
					if (r.valid_from > ins.from && (ins.to === null || r.valid_from < ins.to)) {
						ins.to = r.valid_from;
						ins.toText = r.fromText;
					}
				}
			}
		}
		const to = ins.to ?? new Date(Date.UTC(9999, 11, 31));
		for (const k of keys) {
			for (const r of idx.get(k) ?? []) {
				const rTo = closedAt.get(r.id) ?? r.valid_to;
				if (r.valid_from < to && ins.from < rTo) {
					out.set(
						index,
						`would overlap ${t.name} row id ${r.id} (${k.slice(2)}, valid ${iso(r.valid_from)} to ${iso(isOpenEnded(rTo) ? null : rTo)})` +
							(rTo > ins.from && r.valid_from <= ins.from ? `: use an effective time on or after ${iso(rTo)}` : ''),
					);
				}
			}
			for (const p of placed.get(k) ?? []) {
				if (p.from < to && ins.from < p.to) out.set(index, `would overlap the new row of item ${p.index} of the source (${k.slice(2)})`);
			}
		}
		for (const k of keys) {
			const list = placed.get(k) ?? [];
			list.push({ from: ins.from, to, index });
			placed.set(k, list);
		}
	}
	return out;
}

export function planSync(t: TableDef, stored: StoredRow[], source: SourceRow[], opts: PlanOptions): Plan {
	const idx = index(t, stored);
	const rejected = [...opts.rejected];
	for (;;) {
		const plan = build(t, stored, idx, source, opts, [...rejected]);
		const bad = conflicts(t, idx, plan);
		if (!bad.size) {
			plan.rejected.sort((a, b) => a.index - b.index);
			for (const ins of plan.inserts) plan.changes[ins.change].new = { id: null, values: ins.values, valid_from: ins.from, valid_to: ins.to };
			return plan;
		}
		// Reject the rows that would overlap and plan again (each round rejects at least one row).
		rejected.splice(0, rejected.length, ...plan.rejected);
		for (const [index, reason] of bad) {
			const s = source.find((x) => x.index === index);
			rejected.push({ index, reason, ...(s ? { key: displayKey(t, s.values) } : {}) });
		}
	}
}
