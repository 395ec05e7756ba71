import type { Queryable } from '../db/types';

/**
 * Puts unresolved events (waiting for their next attempt, or given up) back in the queue at
 * once, with their attempts reset: after staff fixed the reference data. One event by id, or all.
 */
export async function retryUnresolved(q: Queryable, eventId?: string): Promise<{ requeued: string[] }> {
	const r = await q.query<{ id: string }>(
		`UPDATE webhook_events
		    SET processed = FALSE, processed_at = NULL, gave_up_at = NULL, attempts = 0, locked_until = NULL
		  WHERE error_message IS NOT NULL
		    AND (processed = FALSE OR gave_up_at IS NOT NULL)
		    AND ($1::bigint IS NULL OR id = $1::bigint)
		  RETURNING id::text`,
		[eventId ?? null],
	);
	return { requeued: r.rows.map((x) => x.id).sort((a, b) => Number(a) - Number(b)) };
}
