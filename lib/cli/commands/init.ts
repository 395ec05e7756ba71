import { testConnection } from '../../db/pool';
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

export const init: Command = {
	usage: `init [--dry-run]     check the connection, bring the schema to the latest version (migrations), list the objects
                       --dry-run prints the plan and changes nothing`,
	async run({ args, settings, db }) {
		const info = await testConnection(settings);
		console.log(`Connected to PostgreSQL ${info.version} at ${info.host.host}:${settings.port}, database "${settings.database}" (${info.host.reason})`);
		const dryRun = args.includes('--dry-run');
		const r = await migrate(db, { dryRun });
		for (const line of describe(r)) console.log(line);
		if (dryRun) {
			if (!r.pending.length) console.log('Plan: nothing to do, the schema is up to date.');
			else {
				console.log(`Plan: ${r.pending.length} migration(s) would run, in order, statement by statement with short lock waits:`);
				for (const m of r.pending) console.log(`  ${migrationLabel(m)}: ${m.description}`);
			}
			console.log('Then: an overlap guard for each reference key whose rows do not overlap (see "getcourse-bot check").');
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
		for (const g of r.guards.filter((x) => x.state !== 'present')) console.log(`  ${g.message}`);
		const o = await listSchemaObjects(db);
		console.log(`Schema "${settings.schema}" is at version ${r.latest}:`);
		console.log(`  tables (${o.tables.length}): ${o.tables.join(', ')}`);
		console.log(`  views (${o.views.length}): ${o.views.join(', ')}`);
		console.log(`  indexes (${o.indexes.length}): ${o.indexes.join(', ')}`);
		console.log(`  triggers (${o.triggers.length}): ${o.triggers.join(', ')}`);
		return 0;
	},
};
