import { isValidTimeZone } from '../payload/dates';
import { checkWorkingHours, parseClockTime, type ClockCalendar, type WorkingHours } from './workingTime';

/** The review clock's settings, as the GetCourse Review Clock node (or a script) gives them. */
export interface ClockSettings extends ClockCalendar {
	/** Hours to check an answer when its training sets none (trainings.review_hours). */
	checkWithinHours: number;
	/** Reminders and escalations whose time passed longer ago than this are not sent (the clock was off). */
	catchUpHours: number;
	/** Where escalations go; empty: none are queued. */
	staffChatId: string;
	link: LinkSettings;
}

export interface LinkSettings {
	/** e.g. https://school.getcourse.ru; empty: no button. */
	schoolAddress: string;
	/** {school}, {lesson_id}, {answer_id}, {training_id}, {user_id}. */
	linkTemplate: string;
}

export const DEFAULT_CHECK_WITHIN_HOURS = 24;
export const MAX_REVIEW_HOURS = 8760;
export const DEFAULT_CATCH_UP_HOURS = 7 * 24;
export const DEFAULT_LINK_TEMPLATE = '{school}/pl/teach/control/lesson/view?id={lesson_id}';
export const DEFAULT_WORKING_DAYS = [1, 2, 3, 4, 5];

/** Hours as typed (24, 0.05, "1,5"): a number > 0 and ≤ a year. */
export function parseHours(value: unknown, what: string): number {
	const n = typeof value === 'number' ? value : Number(String(value ?? '').trim().replace(',', '.'));
	if (!Number.isFinite(n) || n <= 0 || n > MAX_REVIEW_HOURS) {
		throw new Error(`${what} must be a number of hours above 0 and at most ${MAX_REVIEW_HOURS} (fractions allowed: 0.5 = 30 minutes), got ${JSON.stringify(value)}`);
	}
	return n;
}

export function checkTimeZone(tz: string): string {
	const t = String(tz ?? '').trim();
	if (!isValidTimeZone(t)) throw new Error(`Unknown time zone "${t}": use an IANA name like Europe/Moscow`);
	return t;
}

/** A Telegram chat id: digits (negative for groups), optionally ":topic", or @channel. */
export function checkChatId(value: string, what: string): string {
	const v = String(value ?? '').trim();
	if (v && !/^-?\d{1,20}(:\d{1,10})?$/.test(v) && !/^@\w{4,}$/.test(v)) {
		throw new Error(`${what} "${v.slice(0, 40)}" is not a Telegram chat id (digits, negative for groups, or @channel)`);
	}
	return v;
}

export function workingHoursFrom(o: { days: unknown; start: string; end: string }): WorkingHours {
	const list = Array.isArray(o.days) ? o.days : String(o.days ?? '').split(',');
	const days = [...new Set(list.map((d) => Number(String(d).trim())).filter((d) => Number.isInteger(d)))].sort();
	const wh = { days, start: parseClockTime(o.start, 'Working day starts'), end: parseClockTime(o.end, 'Working day ends', true) };
	checkWorkingHours(wh);
	return wh;
}
