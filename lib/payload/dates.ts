/** Parses the date forms GetCourse sends: local "YYYY-MM-DD HH:MM[:SS]" or "DD.MM.YYYY HH:MM[:SS]"
 *  in the school's time zone, ISO 8601 with an offset or Z, and Unix seconds or milliseconds. */

const LOCAL_YMD = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/;
const LOCAL_DMY = /^(\d{2})\.(\d{2})\.(\d{4})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Checked on every webhook: a valid zone's formatter is built once and kept (see formatterFor). */
export function isValidTimeZone(tz: string): boolean {
	try {
		formatterFor(tz);
		return true;
	} catch {
		return false;
	}
}

function formatterFor(tz: string): Intl.DateTimeFormat {
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

/** Offset of the zone from UTC at the given instant, in milliseconds, asking Intl (about 10 µs). */
function zoneOffsetOf(tz: string, instant: number): number {
	const parts: Record<string, number> = {};
	for (const p of formatterFor(tz).formatToParts(new Date(instant))) {
		if (p.type !== 'literal') parts[p.type] = Number(p.value);
	}
	const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
	return asUtc - Math.floor(instant / 1000) * 1000;
}

const HOUR_MS = 3_600_000;
/** Per zone: hour number → the zone's offset throughout that hour, or null when it changes within it. */
const hourOffsets = new Map<string, Map<number, number | null>>();

/**
 * Offset of the zone from UTC at the given instant, in milliseconds. A batch of calls asks about
 * the same few hours over and over: an hour whose offset is the same at its first and its last
 * second keeps it throughout (zones change their offset at most once in any hour), so it is
 * kept; an hour with a change in it is asked about every time.
 */
function zoneOffset(tz: string, instant: number): number {
	let hours = hourOffsets.get(tz);
	if (!hours || hours.size > 100_000) hourOffsets.set(tz, (hours = new Map()));
	const hour = Math.floor(instant / HOUR_MS);
	let known = hours.get(hour);
	if (known === undefined) {
		const first = zoneOffsetOf(tz, hour * HOUR_MS);
		known = first === zoneOffsetOf(tz, hour * HOUR_MS + HOUR_MS - 1000) ? first : null;
		hours.set(hour, known);
	}
	return known ?? zoneOffsetOf(tz, instant);
}

function fromLocal(y: number, mo: number, d: number, h: number, mi: number, s: number, tz: string): Date | null {
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
	const wall = Date.UTC(y, mo - 1, d, h, mi, s);
	const check = new Date(wall);
	if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null; // 31.02 and such
	// Two passes settle the offset around DST changes.
	let guess = wall - zoneOffset(tz, wall);
	guess = wall - zoneOffset(tz, guess);
	return new Date(guess);
}

export function parseEventDate(value: unknown, timeZone: string): Date | null {
	if (typeof value === 'number') return fromEpoch(value);
	if (typeof value !== 'string') return null;
	const v = value.trim();
	if (!v) return null;
	if (/^\d{9,13}$/.test(v)) return fromEpoch(Number(v));
	let m = LOCAL_YMD.exec(v);
	if (m) return fromLocal(+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), timeZone);
	m = LOCAL_DMY.exec(v);
	if (m) return fromLocal(+m[3], +m[2], +m[1], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), timeZone);
	if (ISO_WITH_ZONE.test(v)) {
		const t = Date.parse(v);
		return Number.isNaN(t) ? null : new Date(t);
	}
	return null;
}

function fromEpoch(n: number): Date | null {
	if (!Number.isFinite(n) || n <= 0) return null;
	const ms = n >= 1e12 ? n : n * 1000;
	const d = new Date(ms);
	return d.getUTCFullYear() >= 2000 && d.getUTCFullYear() < 2200 ? d : null;
}
