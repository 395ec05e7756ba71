import { z } from 'zod';

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

/** The rules of one call's values (read as strings by lib/payload/values.ts); its messages are the reasons a call is refused. */
export const eventSchema = z.object({
	userId: optionalId('user id').transform((v) => v ?? ''),
	authorUserId: optionalId('comment author id'),
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

export type EventValuesInput = z.input<typeof eventSchema>;
export type EventValues = z.output<typeof eventSchema>;

const id = (v: string): string | null | undefined => {
	const s = stripQuotes(v.trim());
	return s.length > 50 ? undefined : s === '' ? null : s;
};
const name = (v: string): string | null => {
	const s = v.trim();
	return s === '' ? null : s.slice(0, 500);
};

/**
 * What eventSchema makes of values that pass it, computed without zod (zod costs about 30 µs a
 * call, most of a batch's validation); undefined when any value breaks a rule, and then zod
 * parses them to say why. test/unit/eventValues.test.ts holds the two to the same results.
 */
export function quickParse(v: EventValuesInput): EventValues | undefined {
	const userId = id(v.userId);
	const authorUserId = id(v.authorUserId);
	const userEmail = v.userEmail.trim();
	const answerId = id(v.answerId);
	const commentId = id(v.commentId);
	const trainingId = id(v.trainingId);
	const lessonId = id(v.lessonId);
	const status = v.status.trim();
	if (
		userId === undefined ||
		authorUserId === undefined ||
		userEmail.length > 255 ||
		!answerId ||
		commentId === undefined ||
		trainingId === undefined ||
		lessonId === undefined ||
		status.length > 50
	) {
		return undefined;
	}
	return {
		userId: userId ?? '',
		authorUserId,
		userEmail,
		answerId,
		commentId,
		trainingId,
		lessonId,
		status: status.toLowerCase() || 'new',
		text: v.text === '' ? null : v.text.slice(0, MAX_STORED_TEXT),
		lessonName: name(v.lessonName),
		trainingName: name(v.trainingName),
	};
}

/** eventSchema.safeParse, by the quick path when the values pass. */
export function parseEventValues(v: EventValuesInput): z.SafeParseReturnType<EventValuesInput, EventValues> {
	const quick = quickParse(v);
	return quick ? { success: true, data: quick } : eventSchema.safeParse(v);
}
