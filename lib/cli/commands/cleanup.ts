import { cleanupLogs } from '../../db/logs';
import { withClient } from '../../db/pool';
import { numberFlag, type Command } from '../context';

export const cleanup: Command = {
	usage: `cleanup [--app-days N] [--error-days N]
                       delete application_logs older than N days (30) and error_logs older than N days (90)`,
	async run({ args, db }) {
		const appDays = numberFlag(args, '--app-days', 30, 'a whole number of days');
		const errorDays = numberFlag(args, '--error-days', 90, 'a whole number of days');
		const r = await withClient(db, (c) => cleanupLogs(c, appDays, errorDays));
		console.log(`Deleted ${r.applicationLogs} application_logs rows older than ${appDays} days and ${r.errorLogs} error_logs rows older than ${errorDays} days`);
		return 0;
	},
};
