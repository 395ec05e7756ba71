import { adoptBacklog, DEFAULT_BACKLOG_DAYS, type BacklogResult } from '../../db/backlog';
import { testConnection, withClient } from '../../db/pool';
import { migrate, migrationLabel, type MigrateResult } from '../../db/migrate';
import { listSchemaObjects } from '../../db/schema';
import type { Command } from '../context';

const ORIGIN: Record<MigrateResult['origin'], string> = {
	empty: 'an empty schema',
	'seed-v2': 'a database of the seed design (v2.0.0)',
	'package-0.1': "a schema made by this package's release 0.1",
	managed: 'a schema managed by these migrations',
	unknown: 'a schema with some other tables',
};

function describe(r: MigrateResult): string[] {
	const lines = [`Found ${ORIGIN[r.origin]} at version ${r.current} of ${r.latest}.`];
	const rows = Object.entries(r.rows);
	if (rows.length) lines.push(`  rows: ${rows.map(([t, n]) => `${t} ${n}`).join(', ')}`);
	if (r.changed.length) lines.push(`  note: applied migration(s) ${r.changed.join(', ')} differ from the shipped files (not re-run)`);
	return lines;
}

const day = (d: Date | null) => (d ? new Date(d).toISOString().slice(0, 10) : '?');

function backlogLine(b: BacklogResult, days: number, dryRun: boolean): string {
	if (!b.count) return `Backlog: no event has waited more than ${days} day(s).`;
	const span = `received ${day(b.oldest)} … ${day(b.newest)}`;
	return dryRun
		? `Backlog: ${b.count} waiting event(s) older than ${days} day(s) (${span}) would be stored as processed (skip_reason backlog), not sent to mentors; "getcourse-bot retry --backlog" would send them.`
		: `Backlog: ${b.count} waiting event(s) older than ${days} day(s) (${span}) stored as processed (skip_reason backlog): mentors are not messaged about them; "getcourse-bot retry --backlog" sends them anyway.`;
}

export const init: Command = {
	usage: `init [--dry-run] [--backlog-days N]
                       check the connection, bring the schema to the latest version (migrations), list the objects;
                       events waiting longer than N days (7) are adopted as backlog (processed, not sent);
                       --dry-run prints the plan and changes nothing`,
	spec: {
		flags: {
			'--dry-run': { value: 'none' },
			'--backlog-days': { value: 'whole', what: 'a whole number of days' },
		},
	},
	async run({ args, settings, db }) {
		const info = await testConnection(settings);
		console.log(`Connected to PostgreSQL ${info.version} at ${info.host.host}:${settings.port}, database "${settings.database}" (${info.host.reason})`);
		const dryRun = args.has('--dry-run');
		const backlogDays = args.whole('--backlog-days', DEFAULT_BACKLOG_DAYS);
		const r = await migrate(db, { dryRun });
		for (const line of describe(r)) console.log(line);
		if (dryRun) {
			if (!r.pending.length) console.log('Plan: nothing to do, the schema is up to date.');
			else {
				console.log(`Plan: ${r.pending.length} migration(s) would run, in order, statement by statement with short lock waits:`);
				for (const m of r.pending) console.log(`  ${migrationLabel(m)}: ${m.description}`);
			}
			console.log('Then: an overlap guard for each reference key whose rows do not overlap (see "getcourse-bot check").');
			if (r.schemaExists) console.log(backlogLine(await withClient(db, (c) => adoptBacklog(c, backlogDays, { dryRun: true })), backlogDays, true));
			console.log('Dry run: nothing was changed.');
			return 0;
		}
		if (!r.applied.length) console.log('Nothing to migrate: the schema is up to date.');
		for (const a of r.applied) {
			const careful = [
				a.concurrentIndexes.length ? `${a.concurrentIndexes.length} index(es) built concurrently` : '',
				a.batches ? `${a.batches} update batch(es)` : '',
				a.lockRetries ? `${a.lockRetries} lock wait(s) retried` : '',
			].filter(Boolean);
			console.log(`  applied ${migrationLabel(a)} (${a.ms} ms${careful.length ? `; ${careful.join(', ')}` : ''})`);
		}
		for (const n of r.notices) console.log(`  notice: ${n}`);
		const off = r.guards.filter((g) => g.state === 'off');
		console.log(`Overlap guards: ${r.guards.length - off.length} of ${r.guards.length} keys guarded${off.length ? '' : ' (no two rows of one key can be valid at once)'}`);
		for (const g of r.guards.filter((x) => x.state !== 'present' || x.overlaps || x.reversed)) console.log(`  ${g.message}`);
		console.log(backlogLine(await withClient(db, (c) => adoptBacklog(c, backlogDays)), backlogDays, false));
		const o = await listSchemaObjects(db);
		console.log(`Schema "${settings.schema}" is at version ${r.latest}:`);
		console.log(`  tables (${o.tables.length}): ${o.tables.join(', ')}`);
		console.log(`  views (${o.views.length}): ${o.views.join(', ')}`);
		console.log(`  indexes (${o.indexes.length}): ${o.indexes.join(', ')}`);
		console.log(`  triggers (${o.triggers.length}): ${o.triggers.join(', ')}`);
		return 0;
	},
};
