import type { Queryable } from './types';

export type LogTable = 'application_logs' | 'error_logs';

export interface LogEntry {
	table: LogTable;
	level?: string;
	source: string;
	message: string;
	context?: unknown;
}

export async function writeLog(q: Queryable, table: LogTable, entry: Omit<LogEntry, 'table'>): Promise<void> {
	await writeLogs(q, [{ ...entry, table }]);
}

/** Writes log rows to both tables in one round trip. */
export async function writeLogs(q: Queryable, entries: LogEntry[]): Promise<void> {
	if (!entries.length) return;
	const level = (e: LogEntry) => e.level ?? (e.table === 'error_logs' ? 'error' : 'info');
	await q.query(
		`WITH input AS (
		   SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[]) AS t(tbl, level, source, message, context)
		 ),
		 app AS (
		   INSERT INTO application_logs (level, source, message, context)
		   SELECT level, source, message, context FROM input WHERE tbl = 'application_logs'
		 )
		 INSERT INTO error_logs (level, source, message, context)
		 SELECT level, source, message, context FROM input WHERE tbl = 'error_logs'`,
		[
			entries.map((e) => e.table),
			entries.map(level),
			entries.map((e) => e.source),
			entries.map((e) => e.message),
			entries.map((e) => (e.context === undefined ? null : JSON.stringify(e.context))),
		],
	);
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
