import { writeLogs } from './logs';
import type { Queryable } from './types';

export interface RunRecord {
	/** The node (or command) that ran, e.g. getcourse-resolve-mentor. */
	source: string;
	outcome: 'success' | 'partial' | 'error';
	durationMs: number;
	/** What it did, e.g. { resolved: 3, unresolved: 1 }. */
	counts: Record<string, number>;
	error?: string;
}

/**
 * One application_logs row per node run: the seed's table then says what the bot did
 * (`getcourse-bot stats` sums the last hour) and its 30-day clean-up has something to clean.
 */
export async function recordRun(q: Queryable, r: RunRecord): Promise<void> {
	const summary = Object.entries(r.counts)
		.map(([k, v]) => `${k} ${v}`)
		.join(', ');
	await writeLogs(q, [
		{
			table: 'application_logs',
			level: r.outcome === 'error' ? 'error' : r.outcome === 'partial' ? 'warning' : 'info',
			source: r.source,
			message: `run ${r.outcome} in ${r.durationMs} ms${summary ? `: ${summary}` : ''}${r.error ? ` — ${r.error}` : ''}`,
			context: { outcome: r.outcome, duration_ms: r.durationMs, counts: r.counts, ...(r.error ? { error: r.error } : {}) },
		},
	]);
}

export interface RecentRuns {
	source: string;
	runs: number;
	errors: number;
	totals: Record<string, number>;
	avgDurationMs: number;
}

/** Node runs of the last `minutes`, per source, with their counts summed. */
export async function recentRuns(q: Queryable, minutes = 60): Promise<RecentRuns[]> {
	const r = await q.query<{ source: string; runs: string; errors: string; avg_ms: string; totals: Record<string, string> | null }>(
		`WITH runs AS (
		   SELECT source, context FROM application_logs
		    WHERE created_at > NOW() - make_interval(mins => $1::int) AND context ? 'duration_ms'
		 ),
		 counts AS (
		   SELECT source, key, sum(value::numeric) AS total
		     FROM runs, jsonb_each_text(COALESCE(context->'counts', '{}'::jsonb))
		    GROUP BY source, key
		 )
		 SELECT r.source, count(*) AS runs, count(*) FILTER (WHERE r.context->>'outcome' = 'error') AS errors,
		        round(avg((r.context->>'duration_ms')::numeric)) AS avg_ms,
		        (SELECT jsonb_object_agg(key, total) FROM counts c WHERE c.source = r.source) AS totals
		   FROM runs r GROUP BY r.source ORDER BY r.source`,
		[minutes],
	);
	return r.rows.map((x) => ({
		source: x.source,
		runs: Number(x.runs),
		errors: Number(x.errors),
		avgDurationMs: Number(x.avg_ms),
		totals: Object.fromEntries(Object.entries(x.totals ?? {}).map(([k, v]) => [k, Number(v)])),
	}));
}
