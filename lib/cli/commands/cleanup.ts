import { cleanupLogs } from '../../db/logs';
import { withClient } from '../../db/pool';
import type { Command } from '../context';

export const cleanup: Command = {
	usage: `cleanup [--app-days N] [--error-days N]
                       delete application_logs older than N days (30) and error_logs older than N days (90)`,
	spec: {
		flags: {
			'--app-days': { value: 'whole', what: 'a whole number of days' },
			'--error-days': { value: 'whole', what: 'a whole number of days' },
		},
	},
	async run({ args, db }) {
		const appDays = args.whole('--app-days', 30);
		const errorDays = args.whole('--error-days', 90);
		const r = await withClient(db, (c) => cleanupLogs(c, appDays, errorDays));
		console.log(`Deleted ${r.applicationLogs} application_logs rows older than ${appDays} days and ${r.errorLogs} error_logs rows older than ${errorDays} days`);
		return 0;
	},
};
