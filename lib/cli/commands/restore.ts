import { restore } from '../../backup/restore';
import type { Command } from '../context';

export const restoreCommand: Command = {
	usage: `restore <file> [--clean] [--pg-bin DIR]
                       load a backup into the configured database and schema, in one transaction; the schema
                       must be empty unless --clean (replace what it holds); --pg-bin: the folder of pg_restore`,
	spec: { flags: { '--clean': { value: 'none' }, '--pg-bin': { value: 'text', what: 'the folder of pg_restore' } }, positionals: ['file'] },
	async run({ args, settings, db }) {
		const { positionals } = args;
		const r = await restore(db, { file: positionals[0], clean: args.has('--clean'), binDir: args.text('--pg-bin') });
		console.log(`Restored ${positionals[0]} (from PostgreSQL ${r.dumpedFrom}) into schema "${settings.schema}" of database "${settings.database}" on ${db.host.host}:${settings.port}: ${r.tables} tables`);
		console.log(`  rows: ${Object.entries(r.rows).map(([t, n]) => `${t} ${n}`).join(', ')}`);
		if (r.schemaVersion < r.latestVersion) {
			console.log(`  schema version ${r.schemaVersion} of ${r.latestVersion}: run getcourse-bot init to bring it up to date`);
		} else {
			console.log(`  schema version ${r.schemaVersion}: up to date`);
		}
		return 0;
	},
};
