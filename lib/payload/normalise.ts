import { z } from 'zod';
import { parseEventDate } from './dates';
import { DEFAULT_FIELDS, type FieldMap } from './fields';
import { cleanText, cleanValue } from './sanitize';

export type EventSource = 'tech_api' | 'process';

export interface NormalisedEvent {
	idempotencyKey: string;
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

const idText = (label: string) =>
	z
		.string({ required_error: `${label} is missing` })
		.trim()
		.min(1, `${label} is missing`)
		.max(50, `${label} is longer than 50 characters`);

const optionalId = (label: string) =>
	z
		.string()
		.trim()
		.max(50, `${label} is longer than 50 characters`)
		.transform((v) => (v === '' ? null : v));

const optionalName = z
	.string()
	.trim()
	.transform((v) => (v === '' ? null : v.slice(0, 500)));

const eventSchema = z.object({
	userId: idText('user id'),
	userEmail: z.string().trim().max(255, 'email is longer than 255 characters'),
	answerId: idText('answer id').transform((v) => v.replace(/^['"\s]+|['"\s]+$/g, '')).pipe(idText('answer id')),
	trainingId: optionalId('training id'),
	lessonId: optionalId('lesson id'),
	status: z.string().trim().max(50, 'answer status is longer than 50 characters').transform((v) => v.toLowerCase() || 'new'),
	text: z.string().transform((v) => (v === '' ? null : v.slice(0, MAX_STORED_TEXT))),
	lessonName: optionalName,
	trainingName: optionalName,
});

const emailSchema = z.string().email();

function str(v: unknown): string {
	if (v === undefined || v === null) return '';
	if (typeof v === 'string') return cleanText(v);
	if (typeof v === 'number' || typeof v === 'boolean') return String(v);
	try {
		return cleanText(JSON.stringify(cleanValue(v)) ?? '');
	} catch {
		return '[unreadable value]';
	}
}

function isObject(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Candidate {
	source: EventSource;
	eventType: string;
	kind: string;
	values: Record<keyof z.input<typeof eventSchema>, string>;
	dateValue: unknown;
	emailRequired: boolean;
}

function fromTechApi(p: Record<string, unknown>): Candidate {
	const eventType = (str(p.eventType) || 'getcourse/lessonAnswerCreated').slice(0, 100);
	const comment = isObject(p.comment) ? p.comment : null;
	const a = isObject(p.answer) ? p.answer : comment ? (isObject(comment.lesson_data) ? comment.lesson_data : {}) : {};
	const isComment = comment !== null && !isObject(p.answer);
	// ts64 is Unix time; ts may be local time with a false "Z", so it comes last.
	const dateValue = p.ts64 ?? a.created_at ?? p.ts ?? comment?.created_at;
	return {
		source: 'tech_api',
		eventType,
		kind: isComment ? 'comment' : 'answer',
		values: {
			userId: str(a.user_id ?? comment?.user_id ?? p.user_id),
			userEmail: str(p.user_email ?? a.user_email ?? ''),
			answerId: str(isComment ? comment?.answer_id : a.id),
			trainingId: str(a.training_id),
			lessonId: str(a.lesson_id),
			status: isComment ? 'comment' : str(a.status),
			text: str(isComment ? comment?.comment_text : a.text),
			lessonName: str(a.lesson_name),
			trainingName: str(a.training_name),
		},
		dateValue,
		emailRequired: false,
	};
}

function fromProcess(p: Record<string, unknown>, f: FieldMap): Candidate {
	return {
		source: 'process',
		eventType: 'getcourse/process',
		kind: 'answer',
		values: {
			userId: str(p[f.userId]),
			userEmail: str(p[f.userEmail]),
			answerId: str(p[f.answerId]),
			trainingId: str(p[f.trainingId]),
			lessonId: str(p[f.lessonId]),
			status: str(p[f.status]),
			text: str(p[f.text]),
			lessonName: str(p[f.lessonName]),
			trainingName: str(p[f.trainingName]),
		},
		dateValue: p[f.eventDate],
		emailRequired: true,
	};
}

function isTechApi(p: Record<string, unknown>): boolean {
	return isObject(p.answer) || isObject(p.comment) || (typeof p.eventType === 'string' && p.eventType.startsWith('getcourse/'));
}

/** Validates one GetCourse call (either kind) and builds the row to store, or the reason it is invalid. */
export function normaliseEvent(params: Record<string, unknown>, opts: NormaliseOptions): NormaliseResult {
	const fields = { ...DEFAULT_FIELDS, ...(opts.fields ?? {}) };
	const drop = new Set(opts.dropKeys ?? []);
	const raw = cleanValue(Object.fromEntries(Object.entries(params).filter(([k]) => !drop.has(k)))) as Record<string, unknown>;
	const c = isTechApi(params) ? fromTechApi(params) : fromProcess(params, fields);

	const problems: string[] = [];
	const parsed = eventSchema.safeParse(c.values);
	if (!parsed.success) {
		for (const issue of parsed.error.issues) problems.push(issue.message);
	}
	const email = c.values.userEmail.trim();
	if (email && !emailSchema.safeParse(email).success) problems.push(`email ${JSON.stringify(email.slice(0, 80))} is not a valid address`);
	else if (!email && c.emailRequired) problems.push(`email is missing (parameter "${fields.userEmail}")`);

	let eventDate: Date | null;
	const dateGiven = c.dateValue !== undefined && c.dateValue !== null && str(c.dateValue).trim() !== '';
	if (dateGiven) {
		eventDate = parseEventDate(typeof c.dateValue === 'number' ? c.dateValue : str(c.dateValue), opts.timeZone);
		if (!eventDate) problems.push(`event date ${JSON.stringify(str(c.dateValue).slice(0, 60))} is not a date (use YYYY-MM-DD HH:MM:SS, ISO 8601 or Unix seconds)`);
	} else {
		eventDate = (opts.now ?? (() => new Date()))(); // GetCourse setups often omit it: the receipt time stands in
	}

	if (problems.length || !parsed.success || !eventDate) {
		return { ok: false, source: c.source, reason: problems.join('; '), rawPayload: raw };
	}
	const v = parsed.data;
	return {
		ok: true,
		event: {
			idempotencyKey: `${c.kind}:${v.answerId}:${v.status}`,
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
