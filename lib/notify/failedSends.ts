import type { Queryable } from '../db/types';
import { messageHash } from './createNotifications';
import { insertNotifications, type NewNotification } from '../db/notifications';
import { failedSendFixInRussian } from './staffTexts';
import { FAILED_SEND_PLACEHOLDERS, formatDate, renderMessage } from './template';
import { SEND_FAILED_ALERT } from './types';

export interface FailedSendAlertOptions {
	/** The staff chat. */
	chatId: string;
	template: string;
	timeZone: string;
	/** Most alerts queued per call. */
	limit?: number;
}

export interface QueuedFailedSendAlert {
	/** The notification that failed. */
	notificationId: string;
	alertId: string;
	created: boolean;
	mentorEmail: string | null;
}

interface FailedRow {
	id: string;
	event_id: string | null;
	chat_id: string | null;
	type: string;
	last_error: string | null;
	manual_retries: number;
	created_at: Date;
	mentor_email: string | null;
	first_name: string | null;
	last_name: string | null;
	user_email: string | null;
	user_id: string | null;
}

/** Staff alerts' key: one per failed notification, and again after each `retry --failed` that failed anew. */
export const failedSendKey = (notificationId: string, manualRetries: number) => `failed:${notificationId}:${manualRetries}`;

/** One round trip on the partial index: whether any failure waits to be told (the usual answer is no). */
export async function hasUntoldFailures(q: Queryable): Promise<boolean> {
	const r = await q.query(`SELECT 1 FROM notifications WHERE status = 'failed' AND failure_alerted_at IS NULL AND mentor_id IS NOT NULL LIMIT 1`);
	return r.rows.length > 0;
}

/**
 * Queues one staff alert per mentor notification Telegram refused for good (SPEC §11: 403 the
 * mentor never pressed Start or blocked the bot, 400 chat not found, or attempts used up), naming
 * the mentor and the fix. It looks at every failed notification not alerted yet, not only this
 * run's, so a run that stopped between marking a send failed and queuing its alert is made up
 * for by the next one. Staff-chat notifications are never alerted about (the alert would go to
 * the same chat). Idempotent twice over: failure_alerted_at marks the failure as told, and the
 * alert's message_hash is unique per failed notification and manual retry. Run it in a
 * transaction: the rows are locked (SKIP LOCKED) until the alerts are in.
 */
export async function queueFailedSendAlerts(c: Queryable, opts: FailedSendAlertOptions): Promise<QueuedFailedSendAlert[]> {
	const failed = await c.query<FailedRow>(
		`SELECT n.id::text AS id, n.webhook_event_id::text AS event_id, n.chat_id, n.type, n.last_error, n.manual_retries, n.created_at,
		        cur.email AS mentor_email, cur.first_name, cur.last_name, e.user_email, e.user_id
		   FROM notifications n
		   LEFT JOIN mentors m0 ON m0.id = n.mentor_id
		   LEFT JOIN LATERAL (
		        SELECT x.email, x.first_name, x.last_name FROM mentors x
		         WHERE lower(x.email) = lower(m0.email)
		         ORDER BY (x.valid_from <= NOW() AND NOW() < x.valid_to) DESC, x.valid_from DESC, x.id DESC LIMIT 1) cur ON TRUE
		   LEFT JOIN webhook_events e ON e.id = n.webhook_event_id
		  WHERE n.status = 'failed' AND n.failure_alerted_at IS NULL AND n.mentor_id IS NOT NULL
		  ORDER BY n.id
		  LIMIT $1::int
		  FOR UPDATE OF n SKIP LOCKED`,
		[opts.limit ?? 100],
	);
	if (!failed.rows.length) return [];
	const rows: NewNotification[] = failed.rows.map((f) => {
		const error = f.last_error ?? 'неизвестная ошибка';
		const name = [f.first_name, f.last_name].filter((x) => x && x.trim()).join(' ') || f.mentor_email || 'наставник';
		const retry = f.mentor_email
			? `«getcourse-bot retry --failed --mentor ${f.mentor_email}» или GetCourse Maintenance → Retry Failed Sends`
			: '«getcourse-bot retry --failed» или GetCourse Maintenance → Retry Failed Sends';
		const message = renderMessage(
			opts.template,
			{
				mentor_name: name,
				mentor_email: f.mentor_email,
				chat_id: f.chat_id,
				error,
				fix: failedSendFixInRussian(error),
				notification_id: f.id,
				event_id: f.event_id,
				student: [f.user_email, f.user_id && `id ${f.user_id}`].filter(Boolean).join(', '),
				created_at: formatDate(new Date(f.created_at), opts.timeZone),
				retry,
				type: f.type,
			},
			FAILED_SEND_PLACEHOLDERS,
		);
		return {
			eventId: f.event_id as string, // may be null (a notification without an event): the column takes it
			mentorId: null,
			chatId: opts.chatId,
			type: SEND_FAILED_ALERT,
			message,
			messageHash: messageHash(SEND_FAILED_ALERT, failedSendKey(f.id, f.manual_retries)),
		};
	});
	const created = await insertNotifications(c, rows);
	await c.query(`UPDATE notifications SET failure_alerted_at = NOW() WHERE id = ANY($1::bigint[])`, [failed.rows.map((f) => f.id)]);
	return failed.rows.map((f, i) => {
		const r = created.get(rows[i].messageHash);
		return { notificationId: f.id, alertId: r?.id ?? '', created: Boolean(r?.created), mentorEmail: f.mentor_email };
	});
}
