import { insertNotifications } from '../db/notifications';
import { reviewReport, type ReviewReportRow } from '../db/reviewReport';
import type { Queryable } from '../db/types';
import { messageHash } from '../notify/createNotifications';
import { parseEventDate } from '../payload/dates';
import { reportMessage } from './messages';
import { REVIEW_REPORT } from './types';
import { isoWeekday, localDateString, localParts, localToInstant } from '../zonedTime';

export interface ReportPeriod {
	from: Date;
	to: Date;
	/** For people: "2026-02-02 — 2026-02-08" (school dates, both included). */
	label: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function shiftDays(date: string, days: number): string {
	const [y, m, d] = date.split('-').map(Number);
	const t = new Date(Date.UTC(y, m - 1, d + days));
	return t.toISOString().slice(0, 10);
}

function startOf(date: string, tz: string): Date {
	const [y, m, d] = date.split('-').map(Number);
	return localToInstant(y, m, d, 0, tz);
}

/**
 * The period of `report --from --to`: a date is a whole school day (--to's day included), a
 * date and time or ISO 8601 an instant. Default: the last 7 days up to today (included).
 */
export function reportPeriod(fromText: string | undefined, toText: string | undefined, tz: string, now = new Date()): ReportPeriod {
	const read = (v: string, what: string, end: boolean): Date => {
		const s = v.trim();
		if (DAY.test(s)) {
			const d = end ? shiftDays(s, 1) : s;
			if (!parseEventDate(s, tz)) throw new Error(`${what} "${s}" is not a date`);
			return startOf(d, tz);
		}
		const t = parseEventDate(s, tz);
		if (!t) throw new Error(`${what} "${s.slice(0, 40)}" is not a date: use 2026-02-01, 2026-02-01 09:00 or ISO 8601`);
		return t;
	};
	const today = localDateString(now, tz);
	const to = toText ? read(toText, '--to', true) : startOf(shiftDays(today, 1), tz);
	const from = fromText ? read(fromText, '--from', false) : startOf(shiftDays(localDateString(to.getTime() - 1, tz), -6), tz);
	if (!(from < to)) throw new Error(`the period is empty: --from must come before --to`);
	const fromDay = localDateString(from, tz);
	const lastDay = localDateString(to.getTime() - 1, tz);
	return { from, to, label: fromDay === lastDay ? fromDay : `${fromDay} — ${lastDay}` };
}

/** The week before the one `now` falls in: Monday 00:00 to Monday 00:00, school time. */
export function previousWeek(now: Date, tz: string): ReportPeriod {
	const { year, month, day } = localParts(now, tz);
	const today = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
	const monday = shiftDays(today, 1 - isoWeekday(year, month, day));
	const from = shiftDays(monday, -7);
	return { from: startOf(from, tz), to: startOf(monday, tz), label: `${from} — ${shiftDays(monday, -1)}` };
}

export interface WeeklyReportResult {
	period: string;
	created: boolean;
	rows: ReviewReportRow[];
}

/**
 * The weekly report to the staff chat (never coalesced with alerts): the previous week, once
 * per week and chat (the message_hash holds both), so re-runs in the same week queue nothing.
 */
export async function queueWeeklyReport(q: Queryable, o: { timeZone: string; staffChatId: string; now?: Date }): Promise<WeeklyReportResult> {
	if (!o.staffChatId) throw new Error('Staff Chat ID is empty: the weekly report needs a chat to go to');
	const period = previousWeek(o.now ?? new Date(), o.timeZone);
	const rows = await reviewReport(q, period.from, period.to);
	const created = await insertNotifications(q, [
		{
			eventId: null,
			mentorId: null,
			chatId: o.staffChatId,
			type: REVIEW_REPORT,
			message: reportMessage(rows, period.label),
			messageHash: messageHash(REVIEW_REPORT, `report:${o.staffChatId}:${localDateString(period.from, o.timeZone)}`),
		},
	]);
	return { period: period.label, created: [...created.values()].some((c) => c.created), rows };
}
