import { DEFAULT_LINK_TEMPLATE, type LinkSettings } from './settings';

/** An inline keyboard as sendMessage takes it in reply_markup. */
export interface InlineKeyboard {
	inline_keyboard: Array<Array<{ text: string; url: string }>>;
}

export const OPEN_LESSON = 'Открыть урок';
const PLACEHOLDERS = ['school', 'lesson_id', 'answer_id', 'training_id', 'user_id'] as const;
export type LinkValues = Partial<Record<Exclude<(typeof PLACEHOLDERS)[number], 'school'>, string | null>>;

/** The School Address as typed: an http(s) address; the trailing slash dropped. Empty stays empty. */
export function checkSchoolAddress(value: string): string {
	const v = String(value ?? '').trim().replace(/\/+$/, '');
	if (!v) return '';
	let u: URL;
	try {
		u = new URL(v);
	} catch {
		throw new Error(`School Address "${v.slice(0, 80)}" is not an address like https://school.getcourse.ru`);
	}
	if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`School Address must start with https:// (got ${u.protocol})`);
	return v;
}

/** Checks a link template once (the node's parameter): known placeholders, an http(s) result. */
export function checkLinkTemplate(template: string): string {
	const t = String(template ?? '').trim() || DEFAULT_LINK_TEMPLATE;
	for (const m of t.matchAll(/\{([a-z_]+)\}/g)) {
		if (!(PLACEHOLDERS as readonly string[]).includes(m[1])) {
			throw new Error(`Lesson Link has an unknown placeholder {${m[1]}}: use ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`);
		}
	}
	return t;
}

/**
 * The lesson's address from the template, values URL-encoded; null when there is no School
 * Address, or the template needs a value this review lacks (no lesson id).
 */
export function lessonUrl(link: LinkSettings, values: LinkValues): string | null {
	if (!link.schoolAddress) return null;
	let missing = false;
	const url = checkLinkTemplate(link.linkTemplate).replace(/\{([a-z_]+)\}/g, (_, name: string) => {
		if (name === 'school') return link.schoolAddress;
		const v = values[name as keyof LinkValues];
		if (v === null || v === undefined || v === '') missing = true;
		return encodeURIComponent(String(v ?? ''));
	});
	return missing || !/^https?:\/\/[^\s]+$/.test(url) ? null : url;
}

/** One «Открыть урок» button, or null. */
export function lessonButton(link: LinkSettings, values: LinkValues): InlineKeyboard | null {
	const url = lessonUrl(link, values);
	return url ? { inline_keyboard: [[{ text: OPEN_LESSON, url }]] } : null;
}
