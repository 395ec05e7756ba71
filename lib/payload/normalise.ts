import { z } from 'zod';
import { parseEventDate } from './dates';
import { DEFAULT_FIELDS, type FieldMap } from './fields';
import { eventKey, type EventKind } from './identity';
import { cleanValue } from './sanitize';
import { isObject, ValueReader } from './values';

export type EventSource = 'tech_api' | 'process';

export interface NormalisedEvent {
	idempotencyKey: string;
	kind: EventKind;
	commentId: string | null;
	source: EventSource;
	eventType: string;
	eventDate: Date;
	userId: string;
	userEmail: string;
	answerId: string;
	trainingId: string | null;
	lessonId: string | null;
	status: string;
	text: string | null;
	lessonName: string | null;
	trainingName: string | null;
	rawPayload: Record<string, unknown>;
}

export interface NormaliseOptions {
	timeZone: string;
	fields?: Partial<FieldMap>;
	/** Keys removed from the stored raw payload (the shared secret). */
	dropKeys?: string[];
	now?: () => Date;
}

export type NormaliseResult =
	| { ok: true; event: NormalisedEvent }
	| { ok: false; source: EventSource; reason: string; rawPayload: Record<string, unknown> };

/** Longest answer text kept in its column; the whole text stays in raw_payload. */
export const MAX_STORED_TEXT = 20_000;

const stripQuotes = (v: string) => v.replace(/^['"\s]+|['"\s]+$/g, '');

const idText = (label: string) =>
	z
		.string()
		.trim()
		.transform(stripQuotes)
		.pipe(z.string().min(1, `${label} is missing`).max(50, `${label} is longer than 50 characters`));

const optionalId = (label: string) =>
	z
		.string()
		.trim()
		.transform(stripQuotes)
		.pipe(z.string().max(50, `${label} is longer than 50 characters`))
		.transform((v) => (v === '' ? null : v));

const optionalName = z
	.string()
	.trim()
	.transform((v) => (v === '' ? null : v.slice(0, 500)));

const eventSchema = z.object({
	userId: idText('user id'),
	userEmail: z.string().trim().max(255, 'email is longer than 255 characters'),
	answerId: idText('answer id'),
	commentId: optionalId('comment id'),
	trainingId: optionalId('training id'),
	lessonId: optionalId('lesson id'),
	status: z.string().trim().max(50, 'answer status is longer than 50 characters').transform((v) => v.toLowerCase() || 'new'),
	text: z.string().transform((v) => (v === '' ? null : v.slice(0, MAX_STORED_TEXT))),
	lessonName: optionalName,
	trainingName: optionalName,
});

const emailSchema = z.string().email();

interface Candidate {
	source: EventSource;
	eventType: string;
	kind: EventKind;
	values: z.input<typeof eventSchema>;
	dateValue: string | number | undefined;
	emailRequired: boolean;
}

function fromTechApi(p: Record<string, unknown>, r: ValueReader): Candidate {
	const eventType = (r.text(p.eventType, 'eventType') || 'getcourse/lessonAnswerCreated').slice(0, 100);
	const comment = isObject(p.comment) ? p.comment : null;
	const isComment = comment !== null && !isObject(p.answer);
	if (!isComment && p.answer !== undefined && !isObject(p.answer)) r.problems.push('answer must be an object');
	const a = isObject(p.answer) ? p.answer : comment && isObject(comment.lesson_data) ? comment.lesson_data : {};
	const c = comment ?? {};
	// ts64 is Unix time; ts may be local time with a false "Z", so it comes last.
	const dateValue = r.date(p.ts64 ?? a.created_at ?? p.ts ?? c.created_at, 'the event date (ts64, created_at or ts)');
	return {
		source: 'tech_api',
		eventType,
		kind: isComment ? 'comment' : 'answer',
		values: {
			userId: r.id(a.user_id ?? c.user_id ?? p.user_id, 'answer.user_id'),
			userEmail: r.text(p.user_email ?? a.user_email, 'user_email'),
			answerId: isComment ? r.id(c.answer_id, 'comment.answer_id') : r.id(a.id, 'answer.id'),
			commentId: isComment ? r.id(c.id, 'comment.id') : '',
			trainingId: r.id(a.training_id, 'answer.training_id'),
			lessonId: r.id(a.lesson_id, 'answer.lesson_id'),
			status: isComment ? 'comment' : r.text(a.status, 'answer.status'),
			text: isComment ? r.text(c.comment_text ?? c.text, 'comment.comment_text') : r.text(a.text, 'answer.text'),
			lessonName: r.text(a.lesson_name, 'answer.lesson_name'),
			trainingName: r.text(a.training_name, 'answer.training_name'),
		},
		dateValue,
		emailRequired: false,
	};
}

function fromProcess(p: Record<string, unknown>, f: FieldMap, r: ValueReader): Candidate {
	const label = (name: string) => `parameter "${name}"`;
	const commentId = r.id(p[f.commentId], label(f.commentId));
	const isComment = commentId.trim() !== '';
	const answerText = r.text(p[f.text], label(f.text));
	return {
		source: 'process',
		eventType: isComment ? 'getcourse/process/comment' : 'getcourse/process',
		kind: isComment ? 'comment' : 'answer',
		values: {
			userId: r.id(p[f.userId], label(f.userId)),
			userEmail: r.text(p[f.userEmail], label(f.userEmail)),
			answerId: r.id(p[f.answerId], label(f.answerId)),
			commentId,
			trainingId: r.id(p[f.trainingId], label(f.trainingId)),
			lessonId: r.id(p[f.lessonId], label(f.lessonId)),
			status: isComment ? 'comment' : r.text(p[f.status], label(f.status)),
			text: isComment ? r.text(p[f.commentText], label(f.commentText)) || answerText : answerText,
			lessonName: r.text(p[f.lessonName], label(f.lessonName)),
			trainingName: r.text(p[f.trainingName], label(f.trainingName)),
		},
		dateValue: r.date(p[f.eventDate], label(f.eventDate)),
		emailRequired: true,
	};
}

export function isTechApi(p: Record<string, unknown>): boolean {
	return isObject(p.answer) || isObject(p.comment) || (typeof p.eventType === 'string' && p.eventType.startsWith('getcourse/'));
}

/** Validates one GetCourse call (either kind) and builds the row to store, or the reason it is invalid. */
export function normaliseEvent(params: Record<string, unknown>, opts: NormaliseOptions): NormaliseResult {
	const fields = { ...DEFAULT_FIELDS, ...(opts.fields ?? {}) };
	const drop = new Set(opts.dropKeys ?? []);
	const raw = cleanValue(Object.fromEntries(Object.entries(params).filter(([k]) => !drop.has(k)))) as Record<string, unknown>;
	const reader = new ValueReader();
	const c = isTechApi(params) ? fromTechApi(params, reader) : fromProcess(params, fields, reader);

	const problems = [...reader.problems];
	const parsed = eventSchema.safeParse(c.values);
	if (!parsed.success) {
		for (const issue of parsed.error.issues) if (!problems.includes(issue.message)) problems.push(issue.message);
	}
	const email = c.values.userEmail.trim();
	if (email && !emailSchema.safeParse(email).success) problems.push(`email ${JSON.stringify(email.slice(0, 80))} is not a valid address`);
	else if (!email && c.emailRequired) problems.push(`email is missing (parameter "${fields.userEmail}")`);

	let eventDate: Date | null = null;
	const rawDate = c.dateValue === undefined ? '' : String(c.dateValue);
	if (c.dateValue !== undefined) {
		eventDate = parseEventDate(c.dateValue, opts.timeZone);
		if (!eventDate) problems.push(`event date ${JSON.stringify(rawDate.slice(0, 60))} is not a date (use YYYY-MM-DD HH:MM:SS, ISO 8601 or Unix seconds)`);
	} else if (!problems.some((p) => p.includes('event date'))) {
		eventDate = (opts.now ?? (() => new Date()))(); // GetCourse setups often omit it: the receipt time stands in
	}

	if (problems.length || !parsed.success || !eventDate) {
		return { ok: false, source: c.source, reason: problems.join('; '), rawPayload: raw };
	}
	const v = parsed.data;
	return {
		ok: true,
		event: {
			idempotencyKey: eventKey({ kind: c.kind, answerId: v.answerId, status: v.status, commentId: v.commentId, text: v.text, rawDate }),
			kind: c.kind,
			commentId: v.commentId,
			source: c.source,
			eventType: c.eventType,
			eventDate,
			userId: v.userId,
			userEmail: email.toLowerCase(),
			answerId: v.answerId,
			trainingId: v.trainingId,
			lessonId: v.lessonId,
			status: v.status,
			text: v.text,
			lessonName: v.lessonName,
			trainingName: v.trainingName,
			rawPayload: raw,
		},
	};
}
