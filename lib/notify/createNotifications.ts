import { hash } from 'node:crypto';
import { z } from 'zod';
import { insertNotifications, markEventsProcessed, type NewNotification } from '../db/notifications';
import type { Queryable } from '../db/types';
import { parseResolvedItem } from './resolvedItem';
import { unresolvedInRussian } from './staffTexts';
import { lessonButton } from '../review/links';
import type { LinkSettings } from '../review/settings';
import { EVENT_TITLES, formatDate, renderMessage, STAFF_PLACEHOLDERS } from './template';
import { HOMEWORK_SUBMITTED, STAFF_ALERT } from './types';

export const DEFAULT_NOTIFICATION_TYPE = HOMEWORK_SUBMITTED;
export const STAFF_ALERT_TYPE = STAFF_ALERT;

const id = z.union([z.string(), z.number()]).transform(String);

/** The fields of an Unresolved item (Resolve Mentor's second output) that a staff alert needs. */
const unresolvedItemSchema = z.object({
	eventId: id,
	idempotencyKey: z.string().min(1),
	eventDate: z.string().min(1),
	answerId: z.string(),
	userId: z.string().optional(),
	userEmail: z.string().optional(),
	problem: z.string().min(1),
	fix: z.string().optional(),
	attempts: z.number(),
	maxAttempts: z.number(),
	givenUp: z.boolean(),
	trainingId: z.string().nullable().optional(),
	lessonName: z.string().nullable().optional(),
	// The facts behind the problem, for the Russian wording (absent in items of older versions).
	problemCode: z.string().optional(),
	lessonId: z.string().nullable().optional(),
	studentEmail: z.string().nullable().optional(),
	mentorEmail: z.string().nullable().optional(),
	candidates: z.array(z.string()).optional(),
	mentorLeftAt: z.string().nullable().optional(),
});

export interface NotificationOptions {
	template: string;
	type: string;
	timeZone: string;
	/** School Address + Lesson Link: an «Открыть урок» button (mentor messages). */
	link?: LinkSettings;
}

export type PreparedNotification = { ok: true; row: NewNotification } | { ok: false; reason: string };

/**
 * One notification per event and type: the hash leaves the chat out, so re-running an event
 * after its mentor changed (or got a new telegram_id) never queues a second message.
 */
export function messageHash(type: string, idempotencyKey: string): string {
	return hash('sha256', `${type}\u0000${idempotencyKey}`, 'hex');
}

function firstIssue(error: z.ZodError, what: string): string {
	const first = error.issues[0];
	return `input is not ${what}: ${first.path.join('.') || 'item'} ${first.message}`;
}

const dateIn = (value: string, timeZone: string) => {
	const d = new Date(value);
	return Number.isNaN(d.getTime()) ? value : formatDate(d, timeZone);
};

export function prepareNotification(item: unknown, opts: NotificationOptions): PreparedNotification {
	const parsed = parseResolvedItem(item);
	if (!parsed.success) return { ok: false, reason: firstIssue(parsed.error, 'a Resolve Mentor item') };
	const e = parsed.data;
	const title = e.kind === 'comment' ? EVENT_TITLES.comment : e.resubmission ? EVENT_TITLES.resubmission : EVENT_TITLES.answer;
	const message = renderMessage(opts.template, {
		event_title: title,
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
		comment_text: e.comment?.text,
		event_date: dateIn(e.eventDate, opts.timeZone),
	});
	return {
		ok: true,
		row: {
			eventId: e.eventId,
			studentEmail: e.student.email ?? null,
			mentorId: e.mentor.id,
			chatId: e.mentor.telegramId,
			type: opts.type,
			message,
			messageHash: messageHash(opts.type, e.idempotencyKey),
			replyMarkup: opts.link
				? lessonButton(opts.link, {
						lesson_id: e.lesson?.id ?? e.answer.lessonId,
						answer_id: e.answer.id,
						training_id: e.training?.id ?? e.answer.trainingId,
						user_id: e.student.userId,
					})
				: null,
		},
	};
}

/** A message to the staff chat about an event nobody could be found for; one per event. */
export function prepareStaffAlert(item: unknown, opts: NotificationOptions & { chatId: string }): PreparedNotification {
	const parsed = unresolvedItemSchema.safeParse(item);
	if (!parsed.success) return { ok: false, reason: firstIssue(parsed.error, "an item of Resolve Mentor's Unresolved output") };
	const e = parsed.data;
	const ru = unresolvedInRussian({ ...e, eventId: e.eventId }, opts.timeZone);
	const message = renderMessage(
		opts.template,
		{
			problem: ru?.problem ?? e.problem,
			fix: ru?.fix ?? e.fix,
			problem_code: e.problemCode,
			event_id: e.eventId,
			answer_id: e.answerId,
			student: [e.userEmail, e.userId && `id ${e.userId}`].filter(Boolean).join(', '),
			event_date: dateIn(e.eventDate, opts.timeZone),
			attempts: e.attempts,
			max_attempts: e.maxAttempts,
			given_up: e.givenUp ? ' — больше не повторяется (getcourse-bot retry вернёт в очередь)' : '',
			lesson_name: e.lessonName,
			training_id: e.trainingId,
		},
		STAFF_PLACEHOLDERS,
	);
	return {
		ok: true,
		row: { eventId: e.eventId, mentorId: null, chatId: opts.chatId, type: opts.type, message, messageHash: messageHash(opts.type, e.idempotencyKey) },
	};
}

export interface CreateOutcome {
	notificationId: string;
	created: boolean;
	messageHash: string;
}

function outcomes(rows: NewNotification[], created: Awaited<ReturnType<typeof insertNotifications>>): CreateOutcome[] {
	const seen = new Set<string>();
	return rows.map((r) => {
		const c = created.get(r.messageHash);
		const first = !seen.has(r.messageHash);
		seen.add(r.messageHash);
		return { notificationId: c?.id ?? '', created: Boolean(c?.created) && first, messageHash: r.messageHash };
	});
}

/** Inserts the notifications and marks their events processed; the caller runs it in a transaction. */
export async function createNotifications(q: Queryable, rows: NewNotification[]): Promise<CreateOutcome[]> {
	const created = await insertNotifications(q, rows);
	const events = new Map(rows.filter((r) => r.eventId !== null).map((r) => [r.eventId as string, r.studentEmail ?? null]));
	await markEventsProcessed(q, [...events].map(([id, studentEmail]) => ({ id, studentEmail })));
	return outcomes(rows, created);
}

/** Inserts staff alerts; the events stay as they are (still waiting for their next attempt). */
export async function createStaffAlerts(q: Queryable, rows: NewNotification[]): Promise<CreateOutcome[]> {
	return outcomes(rows, await insertNotifications(q, rows));
}
