import type { NormalisedEvent } from '../payload/normalise';
import type { Queryable } from './types';

export interface InvalidDelivery {
	reason: string;
	source: string;
	rawPayload: unknown;
	status: 'invalid' | 'unauthorized';
}

export interface StoredEvent {
	idempotencyKey: string;
	id: string;
	inserted: boolean;
}

/**
 * Stores valid events (idempotent on idempotency_key) and logs invalid deliveries to
 * error_logs, all in one statement: one round trip for a whole batch of items.
 * Events not to notify about (status filter) are stored already processed.
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
	const res = await q.query<{ idempotency_key: string; id: string; inserted: boolean }>(
		`WITH input AS (
		   SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
		                        $8::text[], $9::text[], $10::jsonb[], $11::text[], $12::text[], $13::text[], $14::text[],
		                        $15::boolean[], $16::int[])
		     AS t(idempotency_key, event_date, user_id, user_email, answer_id, answer_training_id, answer_lesson_id,
		          answer_status, answer_text, raw_payload, event_type, source, lesson_name, training_name, notify, deliveries)
		 ),
		 stored AS (
		   INSERT INTO webhook_events (idempotency_key, event_date, user_id, user_email, answer_id, answer_training_id,
		          answer_lesson_id, answer_status, answer_text, raw_payload, event_type, source, lesson_name, training_name,
		          processed, processed_at, delivery_count)
		   SELECT idempotency_key, event_date, user_id, user_email, answer_id, answer_training_id, answer_lesson_id,
		          answer_status, answer_text, raw_payload, event_type, source, lesson_name, training_name,
		          NOT notify, CASE WHEN notify THEN NULL ELSE NOW() END, deliveries
		   FROM input ORDER BY idempotency_key
		   ON CONFLICT (idempotency_key) DO UPDATE SET delivery_count = webhook_events.delivery_count + EXCLUDED.delivery_count
		   RETURNING idempotency_key, id, (xmax = 0) AS inserted
		 ),
		 logged AS (
		   INSERT INTO error_logs (level, source, message, context)
		   SELECT 'warning', $17, reason, jsonb_build_object('status', status, 'source', src, 'raw_payload', payload)
		   FROM unnest($18::text[], $19::text[], $20::text[], $21::jsonb[]) AS e(reason, status, src, payload)
		 )
		 SELECT idempotency_key, id::text AS id, inserted FROM stored`,
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
			logSource,
			invalid.map((i) => i.reason),
			invalid.map((i) => i.status),
			invalid.map((i) => i.source),
			invalid.map((i) => JSON.stringify(i.rawPayload)),
		],
	);
	const out = new Map<string, StoredEvent>();
	for (const r of res.rows) out.set(r.idempotency_key, { idempotencyKey: r.idempotency_key, id: r.id, inserted: r.inserted });
	return out;
}
