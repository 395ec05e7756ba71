import { backup } from '../../backup/backup';
import type { Command } from '../context';

/** backup_<database>_<schema>_<YYYYMMDD-HHMMSS>.dump in the current folder (UTC). */
export function defaultBackupFile(database: string, schema: string, now = new Date()): string {
	const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
	return `backup_${database.replace(/[^A-Za-z0-9_-]/g, '_')}_${schema}_${stamp}.dump`;
}

const kb = (bytes: number) => (bytes < 10240 ? `${bytes} bytes` : `${Math.round(bytes / 1024)} kB`);

export const backupCommand: Command = {
	usage: `backup [--file FILE] [--pg-bin DIR]
                       pg_dump of the schema (custom format, every table and row) into FILE
                       (default backup_<database>_<schema>_<time>.dump); --pg-bin: the folder of pg_dump`,
	spec: { flags: { '--file': { value: 'text', what: 'a file name' }, '--pg-bin': { value: 'text', what: 'the folder of pg_dump' } } },
	async run({ args, settings, db }) {
		const file = args.text('--file') ?? defaultBackupFile(settings.database, settings.schema);
		const r = await backup(db, { file, binDir: args.text('--pg-bin') });
		console.log(
			`Backed up schema "${settings.schema}" of database "${settings.database}" on ${db.host.host}:${settings.port} ` +
				`(PostgreSQL ${r.serverVersion}, pg_dump ${r.clientVersion}): ${r.tables} tables, ${kb(r.bytes)} → ${r.file}`,
		);
		console.log(`Restore it with: getcourse-bot restore ${r.file}   (into an empty database; see docs/operations.md)`);
		return 0;
	},
};
