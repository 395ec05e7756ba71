import type { Queryable } from './types';

/** Waiting events received longer ago than this are a backlog, not news (SPEC §10). */
export const DEFAULT_BACKLOG_DAYS = 7;

export interface BacklogResult {
	/** Events adopted (or, for a dry run, that would be). */
	count: number;
	oldest: Date | null;
	newest: Date | null;
}

/**
 * Adopting a database with months of waiting events (a seed v2.0.0 database whose bot stopped):
 * events received more than `days` days ago and still waiting are stored processed with
 * skip_reason 'backlog' instead of messaging mentors about old homework; `getcourse-bot retry
 * --backlog` (or --event ID) sends them anyway. Receipt time (created_at) decides, not the
 * answer's date: a resubmission of an old answer arriving today is news. Events a running
 * pipeline holds right now (a live lease) are left alone. A dry run only counts, and works on
 * a schema not migrated yet (it reads the seed's own columns).
 */
export async function adoptBacklog(q: Queryable, days: number, { dryRun = false }: { dryRun?: boolean } = {}): Promise<BacklogResult> {
	if (!Number.isInteger(days) || days < 0) throw new Error(`backlog days must be a whole number of days ≥ 0, got ${days}`);
	const exists = await q.query<{ t: string | null }>(`SELECT to_regclass('webhook_events')::text AS t`);
	if (!exists.rows[0].t) return { count: 0, oldest: null, newest: null };
	const waiting = `processed IS NOT TRUE AND coalesce(created_at, event_date) < NOW() - make_interval(days => $1::int)`;
	if (dryRun) {
		const r = await q.query<{ n: number; oldest: Date | null; newest: Date | null }>(
			`SELECT count(*)::int AS n, min(coalesce(created_at, event_date)) AS oldest, max(coalesce(created_at, event_date)) AS newest
			   FROM webhook_events WHERE ${waiting}`,
			[days],
		);
		return { count: r.rows[0].n, oldest: r.rows[0].oldest, newest: r.rows[0].newest };
	}
	const r = await q.query<{ n: number; oldest: Date | null; newest: Date | null }>(
		`WITH adopted AS (
		   UPDATE webhook_events
		      SET processed = TRUE, processed_at = NOW(), skip_reason = 'backlog', locked_until = NULL
		    WHERE ${waiting} AND (locked_until IS NULL OR locked_until < NOW())
		   RETURNING coalesce(created_at, event_date) AS at
		 )
		 SELECT count(*)::int AS n, min(at) AS oldest, max(at) AS newest FROM adopted`,
		[days],
	);
	return { count: r.rows[0].n, oldest: r.rows[0].oldest, newest: r.rows[0].newest };
}

/**
 * Puts adopted backlog events back in the queue (`retry --backlog`): their mentors will hear of
 * them, once each, like any waiting event. One event by id, or all.
 */
export async function retryBacklog(q: Queryable, eventId?: string): Promise<{ requeued: string[] }> {
	const r = await q.query<{ id: string }>(
		`UPDATE webhook_events
		    SET processed = FALSE, processed_at = NULL, skip_reason = NULL, attempts = 0, locked_until = NULL
		  WHERE skip_reason = 'backlog' AND ($1::bigint IS NULL OR id = $1::bigint)
		  RETURNING id::text`,
		[eventId ?? null],
	);
	return { requeued: r.rows.map((x) => x.id).sort((a, b) => Number(a) - Number(b)) };
}
