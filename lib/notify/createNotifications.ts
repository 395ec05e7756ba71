import { createHash } from 'node:crypto';
import { z } from 'zod';
import { insertNotifications, markEventsProcessed, type NewNotification } from '../db/notifications';
import type { Queryable } from '../db/types';
import { formatDate, renderMessage } from './template';

export const DEFAULT_NOTIFICATION_TYPE = 'homework_submitted';

/** The fields of a Resolve Mentor item that a notification needs. */
const resolvedItemSchema = z.object({
	eventId: z.union([z.string(), z.number()]).transform(String),
	idempotencyKey: z.string().min(1),
	eventDate: z.string().min(1),
	answer: z.object({
		id: z.string(),
		status: z.string().nullable().optional(),
		text: z.string().nullable().optional(),
		trainingId: z.string().nullable().optional(),
		lessonId: z.string().nullable().optional(),
	}),
	student: z.object({ userId: z.string().optional(), email: z.string().optional(), name: z.string().optional() }),
	mentor: z.object({
		id: z.union([z.string(), z.number()]).transform(String),
		name: z.string().optional(),
		telegramId: z.union([z.string().min(1), z.number()]).transform(String),
	}),
	training: z.object({ id: z.string().nullable().optional(), name: z.string().nullable().optional() }).optional(),
	lesson: z.object({ id: z.string().nullable().optional(), name: z.string().nullable().optional() }).optional(),
});

export interface NotificationOptions {
	template: string;
	type: string;
	timeZone: string;
}

export type PreparedNotification = { ok: true; row: NewNotification } | { ok: false; reason: string };

/** Same chat, same kind of notification, same answer+status: the same message. */
export function messageHash(chatId: string, type: string, idempotencyKey: string): string {
	return createHash('sha256').update(`${chatId}\u0000${type}\u0000${idempotencyKey}`).digest('hex');
}

export function prepareNotification(item: unknown, opts: NotificationOptions): PreparedNotification {
	const parsed = resolvedItemSchema.safeParse(item);
	if (!parsed.success) {
		const first = parsed.error.issues[0];
		return { ok: false, reason: `input is not a Resolve Mentor item: ${first.path.join('.') || 'item'} ${first.message}` };
	}
	const e = parsed.data;
	const date = new Date(e.eventDate);
	const message = renderMessage(opts.template, {
		student_name: e.student.name,
		student_email: e.student.email,
		student_user_id: e.student.userId,
		mentor_name: e.mentor.name,
		training_name: e.training?.name ?? e.training?.id,
		training_id: e.training?.id ?? e.answer.trainingId,
		lesson_name: e.lesson?.name ?? e.lesson?.id,
		lesson_id: e.lesson?.id ?? e.answer.lessonId,
		answer_id: e.answer.id,
		answer_status: e.answer.status,
		answer_text: e.answer.text,
		event_date: Number.isNaN(date.getTime()) ? e.eventDate : formatDate(date, opts.timeZone),
	});
	return {
		ok: true,
		row: {
			eventId: e.eventId,
			mentorId: e.mentor.id,
			chatId: e.mentor.telegramId,
			type: opts.type,
			message,
			messageHash: messageHash(e.mentor.telegramId, opts.type, e.idempotencyKey),
		},
	};
}

export interface CreateOutcome {
	notificationId: string;
	created: boolean;
	messageHash: string;
}

/** Inserts the notifications and marks their events processed; the caller runs it in a transaction. */
export async function createNotifications(q: Queryable, rows: NewNotification[]): Promise<CreateOutcome[]> {
	const created = await insertNotifications(q, rows);
	await markEventsProcessed(q, [...new Set(rows.map((r) => r.eventId))]);
	const seen = new Set<string>();
	return rows.map((r) => {
		const c = created.get(r.messageHash);
		const first = !seen.has(r.messageHash);
		seen.add(r.messageHash);
		return { notificationId: c?.id ?? '', created: Boolean(c?.created) && first, messageHash: r.messageHash };
	});
}
