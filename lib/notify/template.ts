/** Telegram's limit for one message. */
export const TELEGRAM_MAX_LENGTH = 4096;
const EXCERPT_LENGTH = 500;

export const DEFAULT_TEMPLATE = [
	'📚 <b>Новое домашнее задание</b>',
	'',
	'Студент: {student_name} ({student_email})',
	'Тренинг: {training_name}',
	'Урок: {lesson_name}',
	'Статус: {answer_status}',
	'Сдано: {event_date}',
	'',
	'{answer_excerpt}',
].join('\n');

export const PLACEHOLDERS = [
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
	'event_date',
] as const;

export type TemplateValues = Partial<Record<(typeof PLACEHOLDERS)[number], string | null | undefined>>;

export function escapeHtml(s: string): string {
	return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function cut(s: string, max: number): string {
	if (s.length <= max) return s;
	const chars = Array.from(s); // never split a surrogate pair
	return chars.length <= max ? s : chars.slice(0, Math.max(0, max - 1)).join('') + '…';
}

function fill(template: string, values: TemplateValues, maxValue: number): string {
	return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
		if (!(PLACEHOLDERS as readonly string[]).includes(name)) return whole;
		let v = values[name as keyof TemplateValues] ?? '';
		if (name === 'answer_excerpt') v = cut(values.answer_text ?? '', EXCERPT_LENGTH);
		return escapeHtml(cut(String(v || '—'), maxValue));
	});
}

/**
 * Fills the template (which may hold Telegram HTML such as <b>) with HTML-escaped values.
 * When the result is over 4096 characters the values are shortened, never the markup, so
 * the message stays valid HTML.
 */
export function renderMessage(template: string, values: TemplateValues): string {
	let out = fill(template, values, Number.MAX_SAFE_INTEGER);
	if (out.length <= TELEGRAM_MAX_LENGTH) return out;
	let lo = 0;
	let hi = TELEGRAM_MAX_LENGTH;
	while (lo < hi) {
		const mid = Math.ceil((lo + hi) / 2);
		if (fill(template, values, mid).length <= TELEGRAM_MAX_LENGTH) lo = mid;
		else hi = mid - 1;
	}
	out = fill(template, values, lo);
	if (out.length > TELEGRAM_MAX_LENGTH) {
		throw new Error(`The message template alone is longer than Telegram's ${TELEGRAM_MAX_LENGTH} characters`);
	}
	return out;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** Building an Intl.DateTimeFormat costs ~0.2 ms: one per time zone is kept. */
export function formatDate(d: Date, timeZone: string): string {
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
	return f.format(d);
}
