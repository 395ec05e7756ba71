import { restore } from '../../backup/restore';
import { parseCommandArgs } from '../commandFlags';
import type { Command } from '../context';

export const restoreCommand: Command = {
	usage: `restore <file> [--clean] [--pg-bin DIR]
                       load a backup into the configured database and schema, in one transaction; the schema
                       must be empty unless --clean (replace what it holds); --pg-bin: the folder of pg_restore`,
	async run({ args, settings, db }) {
		const { flags, positionals } = parseCommandArgs('restore', args, 1);
		if (!positionals.length) throw new Error('restore needs the backup file: getcourse-bot restore <file>');
		const r = await restore(db, { file: positionals[0], clean: flags['--clean'] === true, binDir: flags['--pg-bin'] as string | undefined });
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
