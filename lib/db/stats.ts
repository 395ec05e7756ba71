import { recentRuns, type RecentRuns } from './runLog';
import type { Queryable } from './types';

export interface Stats {
	pendingWebhooks: number;
	/** Events with a routing problem: waiting for their next attempt, or given up. */
	failedWebhooks: number;
	givenUpWebhooks: number;
	/** What the nodes did in the last hour (application_logs, one row per run). */
	lastHour: RecentRuns[];
	notifications: Record<string, number>;
	tables: Array<{ table: string; rows: number; size: string; bytes: number }>;
}

/** The seed's monitoring queries: backlog and table sizes for the configured schema. */
export async function collectStats(q: Queryable, schema: string): Promise<Stats> {
	const w = await q.query<{ pending: string; failed: string; given_up: string }>(
		`SELECT count(*) FILTER (WHERE processed = FALSE) AS pending,
		        count(*) FILTER (WHERE error_message IS NOT NULL AND (processed = FALSE OR gave_up_at IS NOT NULL)) AS failed,
		        count(*) FILTER (WHERE gave_up_at IS NOT NULL) AS given_up
		   FROM webhook_events`,
	);
	const n = await q.query<{ status: string; count: string }>(`SELECT status, count(*) AS count FROM notifications GROUP BY status ORDER BY status`);
	const t = await q.query<{ table: string; rows: string; size: string; bytes: string }>(
		`SELECT c.relname AS table, c.reltuples::bigint AS rows,
		        pg_size_pretty(pg_total_relation_size(c.oid)) AS size, pg_total_relation_size(c.oid) AS bytes
		   FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
		  WHERE ns.nspname = $1 AND c.relkind = 'r'
		  ORDER BY pg_total_relation_size(c.oid) DESC`,
		[schema],
	);
	const notifications: Record<string, number> = { pending: 0, sending: 0, sent: 0, failed: 0 };
	for (const r of n.rows) notifications[r.status] = Number(r.count);
	return {
		pendingWebhooks: Number(w.rows[0].pending),
		failedWebhooks: Number(w.rows[0].failed),
		givenUpWebhooks: Number(w.rows[0].given_up),
		lastHour: await recentRuns(q, 60),
		notifications,
		tables: t.rows.map((r) => ({ table: r.table, rows: Math.max(0, Number(r.rows)), size: r.size, bytes: Number(r.bytes) })),
	};
}
