import { parseEventDate } from '../payload/dates';
import { ReferenceInputError } from './lookup';

/**
 * An effective time from a node parameter, an expression result or a command-line flag:
 * empty → null (now); a Date, a Luxon DateTime, ISO 8601, "2026-02-10[ 09:00[:00]]" or
 * "10.02.2026[ 09:00]" in the school's time zone, or Unix seconds.
 */
export function readEffectiveTime(value: unknown, timeZone: string, what = 'effective time'): Date | null {
	if (value === null || value === undefined || value === '') return null;
	if (value instanceof Date) {
		if (Number.isNaN(value.getTime())) throw new ReferenceInputError(`${what} is not a valid date`);
		return value;
	}
	if (typeof value === 'object' && typeof (value as { toISO?: unknown }).toISO === 'function') {
		return readEffectiveTime((value as { toISO: () => string }).toISO(), timeZone, what);
	}
	const s = String(value).trim();
	if (!s) return null;
	const d = parseEventDate(typeof value === 'number' ? value : s, timeZone);
	if (!d) throw new ReferenceInputError(`${what} "${s.slice(0, 40)}" is not a date: use 2026-02-10, 2026-02-10 09:00 or ISO 8601`);
	return d;
}
