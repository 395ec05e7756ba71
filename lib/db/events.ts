import type { NormalisedEvent } from '../payload/normalise';
import type { Queryable } from './types';

export interface InvalidDelivery {
	reason: string;
	source: string;
	rawPayload: unknown;
	status: 'invalid' | 'unauthorized';
}

/** Why a stored event will not notify anybody. */
export type SkipReason = 'status' | 'stale' | 'comments_off';

export interface StoredEvent {
	idempotencyKey: string;
	id: string;
	inserted: boolean;
	resubmission: boolean;
	/** Null when the event waits for Resolve Mentor to notify its mentor. */
	skipReason: SkipReason | null;
}

/**
 * Stores valid events (idempotent on idempotency_key: a redelivery only counts up
 * delivery_count) and logs invalid deliveries to error_logs, all in one statement: one round
 * trip for a whole batch. Per answer it also decides, against what is already stored:
 *  - stale: an event of the same answer with a later date is known (a late "new" after
 *    "accepted"): stored, never notifies;
 *  - resubmission: a "new" for an answer seen before (after declined/accepted, or with new
 *    text): notifies, marked as such.
 * Events that do not notify are stored already processed, with the reason.
 */
export async function storeDeliveries(
	q: Queryable,
	events: Array<{ event: NormalisedEvent; notify: boolean }>,
	invalid: InvalidDelivery[],
	logSource: string,
): Promise<Map<string, StoredEvent>> {
	// One INSERT … ON CONFLICT DO UPDATE must not touch a row twice: dedupe the batch first.
	const unique = new Map<string, { event: NormalisedEvent; notify: boolean; deliveries: number }>();
	for (const e of events) {
		const seen = unique.get(e.event.idempotencyKey);
		if (seen) seen.deliveries++;
		else unique.set(e.event.idempotencyKey, { ...e, deliveries: 1 });
	}
	const rows = [...unique.values()];
	const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
	const res = await q.query<{ idempotency_key: string; id: string; inserted: boolean; is_resubmission: boolean; skip_reason: SkipReason | null }>(
		`WITH input AS (
		   SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
		                        $8::text[], $9::text[], $10::jsonb[], $11::text[], $12::text[], $13::text[], $14::text[],
		                        $15::boolean[], $16::int[], $17::text[], $18::text[])
		     AS t(idempotency_key, event_date, user_id, user_email, answer_id, answer_training_id, answer_lesson_id,
		          answer_status, answer_text, raw_payload, event_type, source, lesson_name, training_name, notify, deliveries,
		          event_kind, comment_id)
		 ),
		 judged AS (
		   SELECT i.*,
		          i.event_kind = 'answer' AND EXISTS (
		            SELECT 1 FROM webhook_events p
		             WHERE p.answer_id = i.answer_id AND p.event_kind = 'answer' AND p.event_date > i.event_date) AS stale,
		          i.event_kind = 'answer' AND EXISTS (
		            SELECT 1 FROM webhook_events p
		             WHERE p.answer_id = i.answer_id AND p.event_kind = 'answer' AND p.idempotency_key <> i.idempotency_key) AS seen_before
		     FROM input i
		 ),
		 decided AS (
		   SELECT j.*,
		          j.event_kind = 'answer' AND j.answer_status = 'new' AND j.seen_before AND NOT j.stale AS resubmission,
		          CASE WHEN NOT j.notify THEN CASE WHEN j.event_kind = 'comment' THEN 'comments_off' ELSE 'status' END
		               WHEN j.stale THEN 'stale' END AS skip
		     FROM judged j
		 ),
		 stored AS (
		   INSERT INTO webhook_events (idempotency_key, event_date, user_id, user_email, answer_id, answer_training_id,
		          answer_lesson_id, answer_status, answer_text, raw_payload, event_type, source, lesson_name, training_name,
		          event_kind, comment_id, is_resubmission, skip_reason, processed, processed_at, delivery_count)
		   SELECT idempotency_key, event_date, user_id, user_email, answer_id, answer_training_id, answer_lesson_id,
		          answer_status, answer_text, raw_payload, event_type, source, lesson_name, training_name,
		          event_kind, comment_id, resubmission, skip, skip IS NOT NULL, CASE WHEN skip IS NOT NULL THEN NOW() END, deliveries
		   FROM decided ORDER BY idempotency_key
		   ON CONFLICT (idempotency_key) DO UPDATE SET delivery_count = webhook_events.delivery_count + EXCLUDED.delivery_count
		   RETURNING idempotency_key, id, (xmax = 0) AS inserted, is_resubmission, skip_reason
		 ),
		 logged AS (
		   INSERT INTO error_logs (level, source, message, context)
		   SELECT 'warning', $19, reason, jsonb_build_object('status', status, 'source', src, 'raw_payload', payload)
		   FROM unnest($20::text[], $21::text[], $22::text[], $23::jsonb[]) AS e(reason, status, src, payload)
		 )
		 SELECT idempotency_key, id::text AS id, inserted, is_resubmission, skip_reason FROM stored`,
		[
			col((r) => r.event.idempotencyKey),
			col((r) => r.event.eventDate.toISOString()),
			col((r) => r.event.userId),
			col((r) => r.event.userEmail),
			col((r) => r.event.answerId),
			col((r) => r.event.trainingId),
			col((r) => r.event.lessonId),
			col((r) => r.event.status),
			col((r) => r.event.text),
			col((r) => JSON.stringify(r.event.rawPayload)),
			col((r) => r.event.eventType),
			col((r) => r.event.source),
			col((r) => r.event.lessonName),
			col((r) => r.event.trainingName),
			col((r) => r.notify),
			col((r) => r.deliveries),
			col((r) => r.event.kind),
			col((r) => r.event.commentId),
			logSource,
			invalid.map((i) => i.reason),
			invalid.map((i) => i.status),
			invalid.map((i) => i.source),
			invalid.map((i) => JSON.stringify(i.rawPayload)),
		],
	);
	const out = new Map<string, StoredEvent>();
	for (const r of res.rows) {
		out.set(r.idempotency_key, {
			idempotencyKey: r.idempotency_key,
			id: r.id,
			inserted: r.inserted,
			resubmission: r.is_resubmission,
			skipReason: r.skip_reason,
		});
	}
	return out;
}
