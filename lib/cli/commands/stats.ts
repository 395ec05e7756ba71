import { withClient } from '../../db/pool';
import { slowStatements } from '../../db/slowStatements';
import { collectStats } from '../../db/stats';
import { UsageError } from '../args';
import type { Command } from '../context';

/** A statement on one line, cut for the terminal (--json keeps it whole). */
const shortQuery = (q: string, max = 140) => {
	const line = q.replace(/\s+/g, ' ').trim();
	return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

export const stats: Command = {
	usage: `stats [--json] [--top N]
                       pending webhooks, notifications by status, node runs of the last hour, table sizes, and the
                       N slowest statements (10) from pg_stat_statements, or how to turn it on`,
	spec: { flags: { '--json': { value: 'none' }, '--top': { value: 'whole', what: 'a whole number from 1 to 1000' } } },
	async run({ args, settings, db }) {
		const top = args.whole('--top', 10);
		if (top < 1 || top > 1000) throw new UsageError(`--top needs a whole number from 1 to 1000, got ${top}`);
		const { s, slow } = await withClient(db, async (c) => ({ s: await collectStats(c, settings.schema), slow: await slowStatements(c, top) }));
		if (args.has('--json')) {
			console.log(JSON.stringify({ ...s, slowStatements: slow }, null, 2));
			return 0;
		}
		console.log(`Pending webhooks: ${s.pendingWebhooks} (unresolved: ${s.failedWebhooks}, of them given up: ${s.givenUpWebhooks})`);
		console.log(`Notifications: ${Object.entries(s.notifications).map(([k, v]) => `${k} ${v}`).join(', ')}`);
		console.log('Last hour (node runs):');
		if (!s.lastHour.length) console.log('  none');
		for (const r of s.lastHour) {
			const totals = Object.entries(r.totals).map(([k, v]) => `${k} ${v}`).join(', ');
			console.log(`  ${r.source.padEnd(32)} ${String(r.runs).padStart(5)} runs, ${r.errors} failed, avg ${r.avgDurationMs} ms${totals ? `: ${totals}` : ''}`);
		}
		console.log('Tables:');
		for (const t of s.tables) console.log(`  ${t.table.padEnd(20)} ${String(t.rows).padStart(10)} rows  ${t.size}`);
		if (!slow.available) {
			console.log(`Slowest statements: ${slow.hint}`);
			return 0;
		}
		console.log(`Slowest statements (pg_stat_statements, this database, by mean time):`);
		if (!slow.statements.length) console.log('  none recorded yet');
		for (const x of slow.statements) {
			console.log(`  ${x.meanMs.toFixed(2).padStart(10)} ms mean ${String(x.calls).padStart(8)} calls ${x.totalMs.toFixed(0).padStart(10)} ms total  ${shortQuery(x.query)}`);
		}
		return 0;
	},
};
