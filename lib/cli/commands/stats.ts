import { withClient } from '../../db/pool';
import { collectStats } from '../../db/stats';
import type { Command } from '../context';

export const stats: Command = {
	usage: 'stats [--json]       pending webhooks, notifications by status, node runs of the last hour, table sizes',
	spec: { flags: { '--json': { value: 'none' } } },
	async run({ args, settings, db }) {
		const s = await withClient(db, (c) => collectStats(c, settings.schema));
		if (args.has('--json')) {
			console.log(JSON.stringify(s, null, 2));
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
		return 0;
	},
};
