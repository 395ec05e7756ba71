import { addWorkingTime, parseClockTime, workingTimeBetween, type ClockCalendar } from '../../lib/review/workingTime';
import { localParts, localToInstant } from '../../lib/zonedTime';
import { parseHours, workingHoursFrom } from '../../lib/review/settings';

const HOUR = 3600_000;
const iso = (d: Date) => d.toISOString();
const moscowWork: ClockCalendar = { timeZone: 'Europe/Moscow', workingHours: { days: [1, 2, 3, 4, 5], start: 600, end: 1200 } };
const berlinWork: ClockCalendar = { timeZone: 'Europe/Berlin', workingHours: { days: [1, 2, 3, 4, 5], start: 600, end: 1200 } };
const berlinAllDay: ClockCalendar = { timeZone: 'Europe/Berlin', workingHours: { days: [1, 2, 3, 4, 5, 6, 7], start: 0, end: 1440 } };
// Moscow is UTC+3 all year: 2026-03-06 is a Friday.
const msk = (s: string) => new Date(`${s}+03:00`);

describe('addWorkingTime without working hours', () => {
	it('is plain elapsed time, fractions included', () => {
		const start = msk('2026-03-06T19:00:00');
		expect(iso(addWorkingTime(start, 24, { timeZone: 'Europe/Moscow', workingHours: null }))).toBe(iso(msk('2026-03-07T19:00:00')));
		expect(addWorkingTime(start, 0.05, { timeZone: 'Europe/Moscow', workingHours: null }).getTime() - start.getTime()).toBe(3 * 60_000);
		expect(addWorkingTime(start, 1.5, { timeZone: 'Europe/Moscow', workingHours: null }).getTime() - start.getTime()).toBe(90 * 60_000);
	});

	it('counts 24 real hours across a DST change (not "the same time tomorrow")', () => {
		// Berlin springs forward on Sunday 2026-03-29: Saturday 12:00 CET + 24 h = Sunday 13:00 CEST.
		const start = new Date('2026-03-28T12:00:00+01:00');
		expect(iso(addWorkingTime(start, 24, { timeZone: 'Europe/Berlin', workingHours: null }))).toBe(iso(new Date('2026-03-29T13:00:00+02:00')));
	});
});

describe('addWorkingTime within working hours (Mon–Fri 10:00–20:00)', () => {
	it('pauses overnight and over the weekend: Friday 19:00 + 3 h is Monday 12:00', () => {
		expect(iso(addWorkingTime(msk('2026-03-06T19:00:00'), 3, moscowWork))).toBe(iso(msk('2026-03-09T12:00:00')));
	});

	it('an answer handed in at the weekend starts counting on Monday at 10:00', () => {
		expect(iso(addWorkingTime(msk('2026-03-07T12:00:00'), 1, moscowWork))).toBe(iso(msk('2026-03-09T11:00:00')));
		expect(iso(addWorkingTime(msk('2026-03-08T23:59:00'), 0.05, moscowWork))).toBe(iso(msk('2026-03-09T10:03:00')));
	});

	it('before the day starts, from the start; fractions of an hour', () => {
		expect(iso(addWorkingTime(msk('2026-03-10T08:00:00'), 0.5, moscowWork))).toBe(iso(msk('2026-03-10T10:30:00')));
		expect(iso(addWorkingTime(msk('2026-03-10T12:00:00'), 0.25, moscowWork))).toBe(iso(msk('2026-03-10T12:15:00')));
	});

	it('ending exactly at closing time stays that day', () => {
		expect(iso(addWorkingTime(msk('2026-03-10T17:00:00'), 3, moscowWork))).toBe(iso(msk('2026-03-10T20:00:00')));
		expect(iso(addWorkingTime(msk('2026-03-10T17:00:00'), 3.5, moscowWork))).toBe(iso(msk('2026-03-11T10:30:00')));
	});

	it('spans several days: 24 working hours from Monday 10:00 end on Wednesday 14:00', () => {
		expect(iso(addWorkingTime(msk('2026-03-09T10:00:00'), 24, moscowWork))).toBe(iso(msk('2026-03-11T14:00:00')));
		// twice the deadline (the escalation) from a Friday evening
		expect(iso(addWorkingTime(msk('2026-03-06T19:30:00'), 2 * 12, moscowWork))).toBe(iso(msk('2026-03-11T13:30:00'))); // 0.5 + 10 + 10 + 3.5
	});

	it('keeps local office hours across DST changes (Berlin)', () => {
		// Friday 2026-03-27 19:00 CET + 2 working hours = Monday 2026-03-30 11:00 CEST (09:00 UTC)
		expect(iso(addWorkingTime(new Date('2026-03-27T19:00:00+01:00'), 2, berlinWork))).toBe('2026-03-30T09:00:00.000Z');
		// autumn: Friday 2026-10-23 19:00 CEST + 2 h = Monday 2026-10-26 11:00 CET (10:00 UTC)
		expect(iso(addWorkingTime(new Date('2026-10-23T19:00:00+02:00'), 2, berlinWork))).toBe('2026-10-26T10:00:00.000Z');
	});

	it('round the clock every day equals elapsed time, also on 23- and 25-hour days', () => {
		for (const start of ['2026-03-28T12:00:00+01:00', '2026-10-24T12:00:00+02:00', '2026-10-25T00:00:00+02:00']) {
			for (const hours of [1, 23, 24, 25, 49.75]) {
				const s = new Date(start);
				expect({ start, hours, at: iso(addWorkingTime(s, hours, berlinAllDay)) }).toEqual({ start, hours, at: iso(new Date(s.getTime() + hours * HOUR)) });
			}
		}
	});

	it('workingTimeBetween is its inverse', () => {
		expect(workingTimeBetween(msk('2026-03-06T19:00:00'), msk('2026-03-09T12:00:00'), moscowWork)).toBe(3 * HOUR);
		expect(workingTimeBetween(msk('2026-03-07T12:00:00'), msk('2026-03-08T12:00:00'), moscowWork)).toBe(0);
		for (const hours of [0.05, 1, 7.5, 10, 33]) {
			const start = new Date('2026-03-27T18:12:00+01:00');
			expect(workingTimeBetween(start, addWorkingTime(start, hours, berlinWork), berlinWork)).toBe(Math.round(hours * HOUR));
		}
	});
});

describe('local time in a zone', () => {
	it('a time the spring change skips is read with the offset before it; a repeated one is the first', () => {
		expect(iso(localToInstant(2026, 3, 29, 2 * 60 + 30, 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z'); // = 03:30 CEST
		expect(iso(localToInstant(2026, 10, 25, 2 * 60 + 30, 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z'); // the CEST one
		expect(iso(localToInstant(2026, 11, 1, 90, 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT
		expect(iso(localToInstant(2026, 3, 9, 24 * 60, 'Europe/Moscow'))).toBe(iso(msk('2026-03-10T00:00:00')));
	});

	it('local parts agree with Intl all year, in zones with DST, half-hour DST and a 5:45 offset', () => {
		for (const tz of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Europe/Moscow']) {
			const f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
			for (let t = Date.parse('2026-01-01T00:07:00Z'); t < Date.parse('2027-01-01T00:00:00Z'); t += 7 * 3600_000 + 13 * 60_000) {
				const p = localParts(t, tz);
				const pad = (n: number) => String(n).padStart(2, '0');
				expect({ tz, at: new Date(t).toISOString(), local: `${p.year}-${pad(p.month)}-${pad(p.day)}, ${pad(p.hour)}:${pad(p.minute)}` }).toEqual({
					tz,
					at: new Date(t).toISOString(),
					local: f.format(t),
				});
			}
		}
	});

	it('weekday and parts', () => {
		expect(localParts(msk('2026-03-08T23:30:00'), 'Europe/Moscow')).toMatchObject({ day: 8, hour: 23, weekday: 7 });
		expect(localParts(msk('2026-03-08T23:30:00'), 'Europe/Berlin')).toMatchObject({ day: 8, hour: 21, weekday: 7 });
	});
});

describe('settings', () => {
	it('reads hours with fractions and refuses nonsense', () => {
		expect(parseHours('0.05', 'Check Within')).toBe(0.05);
		expect(parseHours('1,5', 'Check Within')).toBe(1.5);
		expect(parseHours(24, 'x')).toBe(24);
		for (const bad of ['0', '-1', 'abc', '', '9000', Infinity]) expect(() => parseHours(bad, 'Check Within')).toThrow(/Check Within must be a number of hours above 0/);
	});

	it('reads working hours', () => {
		expect(workingHoursFrom({ days: ['5', '1', '2'], start: '10:00', end: '20:00' })).toEqual({ days: [1, 2, 5], start: 600, end: 1200 });
		expect(workingHoursFrom({ days: '1,2,3,4,5,6,7', start: '0:00', end: '24:00' })).toEqual({ days: [1, 2, 3, 4, 5, 6, 7], start: 0, end: 1440 });
		expect(() => workingHoursFrom({ days: [1], start: '20:00', end: '10:00' })).toThrow(/must start before it ends/);
		expect(() => workingHoursFrom({ days: [], start: '10:00', end: '20:00' })).toThrow(/at least one of Monday/);
		expect(() => parseClockTime('24:00', 'Working day starts')).toThrow(/not a time of day/);
		expect(() => parseClockTime('10:75', 'Working day starts')).toThrow(/not a time of day/);
	});
});
