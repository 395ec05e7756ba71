import type { Queryable } from './types';

export type LogTable = 'application_logs' | 'error_logs';

export async function writeLog(
	q: Queryable,
	table: LogTable,
	entry: { level?: string; source: string; message: string; context?: unknown },
): Promise<void> {
	await q.query(`INSERT INTO ${table} (level, source, message, context) VALUES ($1, $2, $3, $4)`, [
		entry.level ?? (table === 'error_logs' ? 'error' : 'info'),
		entry.source,
		entry.message,
		entry.context === undefined ? null : JSON.stringify(entry.context),
	]);
}

/** Deletes log rows older than the given ages (days); returns how many went. */
export async function cleanupLogs(
	q: Queryable,
	appDays: number,
	errorDays: number,
): Promise<{ applicationLogs: number; errorLogs: number }> {
	const a = await q.query(`DELETE FROM application_logs WHERE created_at < NOW() - make_interval(days => $1::int)`, [appDays]);
	const e = await q.query(`DELETE FROM error_logs WHERE created_at < NOW() - make_interval(days => $1::int)`, [errorDays]);
	return { applicationLogs: a.rowCount ?? 0, errorLogs: e.rowCount ?? 0 };
}
