/**
 * Wall-clock time in an IANA time zone, both ways, with Intl only (no date library): the local
 * date and time of an instant, and the instant of a local date and time (DST-aware). Used by
 * the dates GetCourse sends (lib/payload/dates.ts) and the review clock (lib/review).
 */

export interface LocalParts {
	year: number;
	month: number;
	day: number;
	hour: number;
	minute: number;
	second: number;
	/** ISO weekday: 1 = Monday … 7 = Sunday. */
	weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Bound of each cache below (they are cleared when full). */
const MAX_CACHED = 20_000;
const instants = new Map<string, number>();

/** The zone's formatter, built once per zone; throws a RangeError for an unknown zone. */
export function formatterFor(tz: string): Intl.DateTimeFormat {
	let f = formatters.get(tz);
	if (!f) {
		f = new Intl.DateTimeFormat('en-US', {
			timeZone: tz,
			hourCycle: 'h23',
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			second: '2-digit',
		});
		formatters.set(tz, f);
	}
	return f;
}

/** ISO weekday (1 = Monday) of a calendar date. */
export function isoWeekday(year: number, month: number, day: number): number {
	const d = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
	return d === 0 ? 7 : d;
}

/** Local date and time of an instant in the zone (DST-aware). */
export function localParts(instant: Date | number, tz: string): LocalParts {
	const t = typeof instant === 'number' ? instant : instant.getTime();
	const d = new Date(t + offsetAt(tz, t));
	const [year, month, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
	return { year, month, day, hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: isoWeekday(year, month, day) };
}

/** The zone's offset from UTC at an instant, read with Intl (slow: see offsetAt). */
function intlOffset(tz: string, instant: number): number {
	const p: Record<string, number> = {};
	for (const part of formatterFor(tz).formatToParts(new Date(instant))) {
		if (part.type !== 'literal') p[part.type] = Number(part.value);
	}
	return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
}

const QUARTER_HOUR = 900_000;
const offsets = new Map<string, number>();

/**
 * The zone's offset from UTC at an instant, in milliseconds. Offsets change on quarter hours
 * (DST and zone changes happen at :00 or :30), so one Intl call per zone and quarter hour serves
 * every instant in it: the clock computes deadlines for thousands of reviews a run.
 */
export function offsetAt(tz: string, instant: number): number {
	const bucket = Math.floor(instant / QUARTER_HOUR);
	const key = `${tz}|${bucket}`;
	let off = offsets.get(key);
	if (off === undefined) {
		if (offsets.size >= MAX_CACHED) offsets.clear();
		off = intlOffset(tz, bucket * QUARTER_HOUR);
		offsets.set(key, off);
	}
	return off;
}

/**
 * The instant a local wall-clock time names. Minutes past the day's end roll over (24:00 is the
 * next midnight). In the hour a DST change skips, the time is read with the offset before the
 * change (02:30 on a spring-forward night is 03:30 after it); in the hour it repeats, the first
 * of the two.
 */
export function localToInstant(year: number, month: number, day: number, minutesOfDay: number, tz: string): Date {
	// The clock asks for the same few working-day bounds for every review: Intl is slow, a Map is not.
	const key = `${tz}|${year}-${month}-${day}|${minutesOfDay}`;
	const hit = instants.get(key);
	if (hit !== undefined) return new Date(hit);
	if (instants.size >= MAX_CACHED) instants.clear();
	const t = computeInstant(year, month, day, minutesOfDay, tz).getTime();
	instants.set(key, t);
	return new Date(t);
}

function computeInstant(year: number, month: number, day: number, minutesOfDay: number, tz: string): Date {
	const wall = Date.UTC(year, month - 1, day) + minutesOfDay * 60_000;
	const before = offsetAt(tz, wall - offsetAt(tz, wall) - 3 * 3600_000);
	const after = offsetAt(tz, wall - offsetAt(tz, wall) + 3 * 3600_000);
	// The earlier reading (larger offset east of UTC) first: it is the first of a repeated hour.
	for (const off of before >= after ? [before, after] : [after, before]) {
		const t = wall - off;
		if (offsetAt(tz, t) === off) return new Date(t);
	}
	// A skipped time: read it with the offset in force before the change.
	return new Date(wall - before);
}

/** The calendar date after the given one. */
export function nextDate(year: number, month: number, day: number): { year: number; month: number; day: number } {
	const d = new Date(Date.UTC(year, month - 1, day + 1));
	return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** YYYY-MM-DD of the instant in the zone. */
export function localDateString(instant: Date | number, tz: string): string {
	const p = localParts(instant, tz);
	return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}
