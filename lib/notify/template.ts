/** Telegram's limit for one message. */
export const TELEGRAM_MAX_LENGTH = 4096;
const EXCERPT_LENGTH = 500;

export const EVENT_TITLES = {
	answer: 'Новое домашнее задание',
	resubmission: 'Повторная сдача домашнего задания',
	comment: 'Новый комментарий к домашнему заданию',
} as const;

export const DEFAULT_TEMPLATE = [
	'📚 <b>{event_title}</b>',
	'',
	'Студент: {student_name} ({student_email})',
	'Тренинг: {training_name}',
	'Урок: {lesson_name}',
	'Статус: {answer_status}',
	'Сдано: {event_date}',
	'',
	'{answer_excerpt}',
].join('\n');

/** Placeholders of a mentor's message. {answer_excerpt} is the answer's (or comment's) first 500 characters. */
export const PLACEHOLDERS = [
	'event_title',
	'student_name',
	'student_email',
	'student_user_id',
	'mentor_name',
	'training_name',
	'training_id',
	'lesson_name',
	'lesson_id',
	'answer_id',
	'answer_status',
	'answer_text',
	'answer_excerpt',
	'comment_text',
	'event_date',
] as const;

/** A staff alert about an event nobody could be routed to; {problem} and {fix} come in Russian (lib/notify/staffTexts.ts). */
export const DEFAULT_STAFF_TEMPLATE = [
	'⚠️ <b>GetCourse Bot: ответ ученика не передан наставнику</b>',
	'',
	'Проблема: {problem}',
	'Что сделать: {fix}',
	'',
	'Событие #{event_id}: ответ {answer_id}, ученик {student}, {event_date}',
	'Попытка {attempts} из {max_attempts}{given_up}',
].join('\n');

/** Placeholders of a staff alert (an event Resolve Mentor could not route). */
export const STAFF_PLACEHOLDERS = [
	'problem',
	'fix',
	'problem_code',
	'event_id',
	'answer_id',
	'student',
	'event_date',
	'attempts',
	'max_attempts',
	'given_up',
	'lesson_name',
	'training_id',
] as const;

/** A staff alert about a notification Telegram refused for good (403, 400), one per failed notification. */
export const DEFAULT_FAILED_SEND_TEMPLATE = [
	'⚠️ <b>GetCourse Bot: сообщение наставнику не доставлено</b>',
	'',
	'Наставник: {mentor_name} ({mentor_email}), telegram_id {chat_id}',
	'Telegram ответил: {error}',
	'Что сделать: {fix}',
	'',
	'Уведомление #{notification_id} (событие #{event_id}, ученик {student}, {created_at}).',
	'После исправления: {retry}',
].join('\n');

/** Placeholders of a failed-send alert. */
export const FAILED_SEND_PLACEHOLDERS = [
	'mentor_name',
	'mentor_email',
	'chat_id',
	'error',
	'fix',
	'notification_id',
	'event_id',
	'student',
	'created_at',
	'retry',
	'type',
] as const;

export type TemplateValues = Record<string, string | number | null | undefined>;

export function escapeHtml(s: string): string {
	if (!/[&<>"]/.test(s)) return s;
	return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function cut(s: string, max: number): string {
	if (s.length <= max) return s;
	const chars = Array.from(s); // never split a surrogate pair
	return chars.length <= max ? s : chars.slice(0, Math.max(0, max - 1)).join('') + '…';
}

const compiled = new Map<string, string[]>();

/** The template split once into text and placeholder names: [text, name, text, name, …, text]. */
function partsOf(template: string): string[] {
	let parts = compiled.get(template);
	if (!parts) {
		if (compiled.size >= 100) compiled.clear();
		parts = template.split(/\{([a-z_]+)\}/);
		compiled.set(template, parts);
	}
	return parts;
}

function fill(template: string, values: TemplateValues, allowed: readonly string[], maxValue: number): string {
	const parts = partsOf(template);
	let out = parts[0];
	for (let i = 1; i < parts.length; i += 2) {
		const name = parts[i];
		if (!allowed.includes(name)) out += `{${name}}`;
		else {
			let v = values[name] ?? '';
			if (name === 'answer_excerpt') v = cut(String(values.answer_text || values.comment_text || ''), EXCERPT_LENGTH);
			out += escapeHtml(cut(String(v === '' ? '—' : v), maxValue));
		}
		out += parts[i + 1];
	}
	return out;
}

/**
 * Fills the template (which may hold Telegram HTML such as <b>) with HTML-escaped values.
 * When the result is over 4096 characters the values are shortened, never the markup, so
 * the message stays valid HTML. Only the listed placeholders are filled.
 */
export function renderMessage(template: string, values: TemplateValues, allowed: readonly string[] = PLACEHOLDERS): string {
	let out = fill(template, values, allowed, Number.MAX_SAFE_INTEGER);
	if (out.length <= TELEGRAM_MAX_LENGTH) return out;
	let lo = 0;
	let hi = TELEGRAM_MAX_LENGTH;
	while (lo < hi) {
		const mid = Math.ceil((lo + hi) / 2);
		if (fill(template, values, allowed, mid).length <= TELEGRAM_MAX_LENGTH) lo = mid;
		else hi = mid - 1;
	}
	out = fill(template, values, allowed, lo);
	if (out.length > TELEGRAM_MAX_LENGTH) {
		throw new Error(`The message template alone is longer than Telegram's ${TELEGRAM_MAX_LENGTH} characters`);
	}
	return out;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
/** Per zone: minute (Unix time / 60 s) → its text. */
const minuteTexts = new Map<string, Map<number, string>>();
/** Every zone's offset is a whole number of minutes since 1972 (Liberia's -0:44:30 was the last): the text depends on the minute alone. */
const WHOLE_MINUTE_OFFSETS_SINCE = Date.UTC(1973, 0, 1);

/**
 * Day and time to the minute in the zone. Building an Intl.DateTimeFormat costs ~0.2 ms: one per
 * time zone is kept; a batch's events fall in a few minutes: each minute's text is kept too.
 */
export function formatDate(d: Date, timeZone: string): string {
	const t = d.getTime();
	if (!(t >= WHOLE_MINUTE_OFFSETS_SINCE)) return dateFormat(timeZone).format(d);
	let texts = minuteTexts.get(timeZone);
	if (!texts || texts.size >= 10_000) minuteTexts.set(timeZone, (texts = new Map()));
	const minute = Math.floor(t / 60_000);
	let text = texts.get(minute);
	if (text === undefined) {
		text = dateFormat(timeZone).format(d);
		texts.set(minute, text);
	}
	return text;
}

function dateFormat(timeZone: string): Intl.DateTimeFormat {
	let f = dateFormats.get(timeZone);
	if (!f) {
		f = new Intl.DateTimeFormat('ru-RU', {
			timeZone,
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
		});
		dateFormats.set(timeZone, f);
	}
	return f;
}
