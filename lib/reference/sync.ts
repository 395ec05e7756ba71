import { withTransaction, type Db } from '../db/pool';
import type { Queryable } from '../db/types';
import { planSync, type Action, type Change } from './plan';
import { readSource, type RejectedRow, type SourceOptions } from './source';
import { openMappingsOf, openMappingsWarning } from './close';
import { applyPlan, loadStored, lockReferenceTable, transactionNow } from './store';
import { tableDef, type ReferenceTable } from './tables';

export interface SyncOptions extends SourceOptions {
	table: string;
	/** Close stored rows whose key is not in the source (only when every source row is valid). */
	closeMissing?: boolean;
	/** When the changes take effect (default: now, the database's clock); a row's effective column wins. */
	effectiveAt?: Date | null;
	/** Plan only: nothing is written. */
	dryRun?: boolean;
	/** Any rejected row: nothing is written (the result says aborted). */
	allOrNothing?: boolean;
}

/** application_logs source of the node's runs (one row per run, lib/db/runLog.ts). */
export const LOG_SOURCE = 'getcourse-reference-data';
/** ... and of `getcourse-bot import`. */
export const IMPORT_LOG_SOURCE = 'getcourse-bot-import';

export type Summary = Record<Action, number> & { rejected: number };

export interface SyncResult {
	table: ReferenceTable;
	dryRun: boolean;
	/** True when allOrNothing stopped the sync because of rejected rows: nothing was written. */
	aborted: boolean;
	effectiveAt: Date;
	changes: Change[];
	rejected: RejectedRow[];
	warnings: string[];
	summary: Summary;
}

export function summarise(changes: Change[], rejected: RejectedRow[]): Summary {
	const s: Summary = { created: 0, versioned: 0, closed: 0, unchanged: 0, rejected: rejected.length };
	for (const c of changes) s[c.action]++;
	return s;
}

/**
 * Sync Versions: compares the source rows with the stored rows of the table and applies the
 * differences as versions (see plan.ts). Run it inside a transaction (syncReferenceData does);
 * writers of one table take turns.
 */
export async function syncVersions(c: Queryable, records: Array<Record<string, unknown>>, opts: SyncOptions): Promise<SyncResult> {
	const t = tableDef(opts.table);
	const source = readSource(t, records, opts);
	if (!opts.dryRun) await lockReferenceTable(c, t);
	const now = await transactionNow(c);
	const defaultAt = opts.effectiveAt ?? now;
	const since = new Date(Math.min(now.getTime(), defaultAt.getTime(), ...source.rows.map((r) => (r.effective ?? defaultAt).getTime())));
	const stored = await loadStored(c, t, since);
	const plan = planSync(t, stored, source.rows, {
		now,
		defaultAt,
		closeMissing: Boolean(opts.closeMissing),
		provided: source.provided,
		rejected: source.rejected,
	});
	const aborted = Boolean(opts.allOrNothing) && plan.rejected.length > 0;
	const result: SyncResult = {
		table: t.name,
		dryRun: Boolean(opts.dryRun),
		aborted,
		effectiveAt: defaultAt,
		changes: plan.changes,
		rejected: plan.rejected,
		warnings: plan.warnings,
		summary: summarise(plan.changes, plan.rejected),
	};
	if (aborted) result.warnings.push(`${plan.rejected.length} row(s) rejected and All or Nothing is on: nothing was written`);
	if (!opts.dryRun && !aborted) await applyPlan(c, t, plan);
	if (t.name === 'mentors' && !aborted) {
		// A mentor who leaves (closed, no new version) with students still mapped to them.
		for (const ch of plan.changes.filter((x) => x.action === 'closed')) {
			const email = String(ch.old?.values.email ?? '');
			const open = email ? await openMappingsOf(c, email, ch.effectiveAt) : [];
			if (open.length) result.warnings.push(openMappingsWarning(email, open));
		}
	}
	return result;
}

/** syncVersions in a transaction of its own. */
export function syncReferenceData(db: Db, records: Array<Record<string, unknown>>, opts: SyncOptions): Promise<SyncResult> {
	return withTransaction(db, (c) => syncVersions(c, records, opts));
}
