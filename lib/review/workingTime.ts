import { isoWeekday, localParts, localToInstant, nextDate } from '../zonedTime';

/**
 * The review clock's arithmetic (pure): when does a review fall due, given when it opened, how
 * many hours the mentor has, and optionally the school's working hours, in the school's time
 * zone. Outside working hours the clock stands still: an answer handed in on Friday at 19:00
 * with 3 working hours of Mon–Fri 10:00–20:00 is due on Monday at 12:00.
 */

export interface WorkingHours {
	/** ISO weekdays the school works: 1 = Monday … 7 = Sunday. */
	days: number[];
	/** Minutes after local midnight: [start, end); end may be 1440 (24:00). */
	start: number;
	end: number;
}

export interface ClockCalendar {
	timeZone: string;
	/** null: every hour counts (the deadline is plain elapsed time). */
	workingHours: WorkingHours | null;
}

const HOUR = 3600_000;
/** A deadline further than this many days of calendar ahead is a settings mistake, not a plan. */
const MAX_DAYS = 3660;

/** The instant `hours` of working time after `start`. */
export function addWorkingTime(start: Date, hours: number, cal: ClockCalendar): Date {
	if (!Number.isFinite(hours) || hours < 0) throw new Error(`hours must be a number ≥ 0, got ${hours}`);
	let remaining = Math.round(hours * HOUR);
	const wh = cal.workingHours;
	if (!wh) return new Date(start.getTime() + remaining);
	checkWorkingHours(wh);
	let cursor = start.getTime();
	let { year, month, day } = localParts(start, cal.timeZone);
	for (let i = 0; i < MAX_DAYS; i++) {
		if (wh.days.includes(isoWeekday(year, month, day))) {
			const open = localToInstant(year, month, day, wh.start, cal.timeZone).getTime();
			const close = localToInstant(year, month, day, wh.end, cal.timeZone).getTime();
			const from = Math.max(cursor, open);
			if (from < close) {
				if (remaining <= close - from) return new Date(from + remaining);
				remaining -= close - from;
			}
		}
		({ year, month, day } = nextDate(year, month, day));
		cursor = Math.max(cursor, localToInstant(year, month, day, 0, cal.timeZone).getTime());
	}
	throw new Error(`no deadline within ${MAX_DAYS} days: check the working hours`);
}

/** Working time between two instants, in milliseconds (0 when `to` is not after `from`). */
export function workingTimeBetween(from: Date, to: Date, cal: ClockCalendar): number {
	const a = from.getTime();
	const b = to.getTime();
	if (b <= a) return 0;
	const wh = cal.workingHours;
	if (!wh) return b - a;
	checkWorkingHours(wh);
	let total = 0;
	let { year, month, day } = localParts(from, cal.timeZone);
	for (let i = 0; i < MAX_DAYS; i++) {
		const dayStart = localToInstant(year, month, day, 0, cal.timeZone).getTime();
		if (dayStart >= b) break;
		if (wh.days.includes(isoWeekday(year, month, day))) {
			const open = Math.max(a, localToInstant(year, month, day, wh.start, cal.timeZone).getTime());
			const close = Math.min(b, localToInstant(year, month, day, wh.end, cal.timeZone).getTime());
			if (close > open) total += close - open;
		}
		({ year, month, day } = nextDate(year, month, day));
	}
	return total;
}

export function checkWorkingHours(wh: WorkingHours): void {
	if (!wh.days.length || wh.days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
		throw new Error('working days must be at least one of Monday … Sunday');
	}
	if (!(wh.start >= 0 && wh.end <= 1440 && wh.start < wh.end)) {
		throw new Error('the working day must start before it ends, within one day (for example 10:00–20:00)');
	}
}

/** "10:00" → 600; "24:00" → 1440 (only as an end). */
export function parseClockTime(value: string, what: string, allowMidnightEnd = false): number {
	const m = /^\s*(\d{1,2})(?::(\d{2}))?\s*$/.exec(String(value ?? ''));
	const h = m ? Number(m[1]) : NaN;
	const min = m && m[2] !== undefined ? Number(m[2]) : 0;
	if (!m || min > 59 || h > 24 || (h === 24 && (min > 0 || !allowMidnightEnd))) {
		throw new Error(`${what} "${String(value).slice(0, 20)}" is not a time of day like 10:00${allowMidnightEnd ? ' (or 24:00)' : ''}`);
	}
	return h * 60 + min;
}
