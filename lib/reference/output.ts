import type { Change, VersionRow } from './plan';
import type { SyncResult } from './sync';

/** One change as plain JSON (node items, `import --json`): dates as ISO strings. */
export interface ChangeRecord {
	table: string;
	key: string;
	action: Change['action'];
	effectiveAt: string;
	changed: string[];
	old: Record<string, string | null> | null;
	new: Record<string, string | null> | null;
	dryRun: boolean;
}

const row = (v: VersionRow | null) =>
	v && { id: v.id, ...v.values, valid_from: v.valid_from.toISOString(), valid_to: v.valid_to ? v.valid_to.toISOString() : null };

export function changeRecord(table: string, c: Change, dryRun: boolean): ChangeRecord {
	return { table, key: c.key, action: c.action, effectiveAt: c.effectiveAt.toISOString(), changed: c.changed, old: row(c.old), new: row(c.new), dryRun };
}

/** The last item of a sync: counts, and what was not done. */
export function summaryRecord(r: SyncResult) {
	return {
		action: 'summary' as const,
		table: r.table,
		dryRun: r.dryRun,
		aborted: r.aborted,
		effectiveAt: r.effectiveAt.toISOString(),
		...r.summary,
		warnings: r.warnings,
	};
}
