import type { Change } from '../reference/plan';
import type { SyncResult } from '../reference/sync';

const show = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? '∅' : v);
const iso = (d: Date | null) => (d ? d.toISOString() : 'open end');

function what(c: Change): string {
	switch (c.action) {
		case 'versioned':
			return c.changed.map((f) => `${f}: ${show(c.old?.values[f])} → ${show(c.new?.values[f])}`).join('; ');
		case 'created':
			return Object.entries(c.new?.values ?? {})
				.filter(([, v]) => v !== null)
				.map(([k, v]) => `${k}=${v}`)
				.join(', ');
		case 'closed':
			return `valid ${iso(c.old?.valid_from ?? null)} → ${iso(c.effectiveAt)} (was ${iso(c.old?.valid_to ?? null)})`;
		default:
			return '';
	}
}

/** A sync's plan or result as a text table; `lines` maps a source index to its line in the file. */
export function formatSyncResult(r: SyncResult, lines: number[] = []): string {
	const where = (i: number | null) => (i === null ? '-' : lines[i] ? `line ${lines[i]}` : `row ${i}`);
	const rows = r.changes.filter((c) => c.action !== 'unchanged').map((c) => [c.action, c.key, where(c.index), what(c)]);
	const out: string[] = [];
	const verb = r.dryRun ? 'would be' : r.aborted ? 'not' : '';
	out.push(
		`${r.table}: ${r.summary.created} created, ${r.summary.versioned} versioned, ${r.summary.closed} closed, ${r.summary.unchanged} unchanged, ${r.summary.rejected} rejected` +
			` (effective ${r.effectiveAt.toISOString()}${r.dryRun ? ', dry run: nothing written' : r.aborted ? ', aborted: nothing written' : ''})`,
	);
	if (rows.length) {
		const header = ['action', 'key', 'source', verb ? `change (${verb} applied)` : 'change'];
		const widths = header.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((x) => x[i].length))));
		const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
		out.push('', line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line));
	}
	if (r.rejected.length) {
		out.push('', 'Rejected rows (nothing of them was written):');
		for (const x of r.rejected) out.push(`  ${where(x.index)}${x.key ? ` (${x.key})` : ''}: ${x.reason}`);
	}
	for (const w of r.warnings) out.push(`Warning: ${w}`);
	return out.join('\n');
}
