import { eventSchema, parseEventValues, quickParse, type EventValuesInput } from '../../lib/payload/eventValues';

/**
 * The quick path of a call's values (lib/payload/eventValues.ts) must give exactly what the zod
 * schema gives when the values pass, and step aside (undefined) whenever zod would refuse them.
 */
const pieces = ['', ' ', '\t', '\n', '"', "'", "'42'", '"42"', ' 42 ', '\u00a0x\u00a0', 'Abc', 'NEW', 'İ', 'ß', '💡', '\u2028', 'x'.repeat(49), 'x'.repeat(50), 'x'.repeat(51)];
const fields: Array<keyof EventValuesInput> = ['userId', 'authorUserId', 'userEmail', 'answerId', 'commentId', 'trainingId', 'lessonId', 'status', 'text', 'lessonName', 'trainingName'];

/** Deterministic pseudo-random values: each field a join of 0–3 pieces, some long. */
function* samples(n: number): Generator<EventValuesInput> {
	let seed = 42;
	const rnd = (k: number) => {
		// mulberry32
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) % k;
	};
	for (let i = 0; i < n; i++) {
		const v = {} as Record<keyof EventValuesInput, string>;
		for (const f of fields) {
			const count = rnd(4);
			let s = '';
			for (let k = 0; k < count; k++) s += pieces[rnd(pieces.length)];
			if (rnd(40) === 0) s = ' ' + 'y'.repeat(rnd(2) ? 256 : 501) + ' ';
			if (rnd(60) === 0) s = 'z'.repeat(20_001);
			v[f] = s;
		}
		if (rnd(3)) v.answerId = String(700000000 + i); // most calls name their answer
		yield v;
	}
}

describe('quick parse of a call’s values', () => {
	it('agrees with the zod schema on 10,000 generated calls (same result, or steps aside when zod refuses)', () => {
		let passed = 0;
		let refused = 0;
		const disagreements: unknown[] = [];
		for (const v of samples(10_000)) {
			const zod = eventSchema.safeParse(v);
			const quick = quickParse(v);
			if (zod.success) passed++;
			else refused++;
			if (JSON.stringify(zod.success ? zod.data : undefined) !== JSON.stringify(quick)) disagreements.push({ v, zod: zod.success ? zod.data : 'refused', quick });
		}
		expect(disagreements.slice(0, 3)).toEqual([]);
		// both kinds were exercised
		expect(passed).toBeGreaterThan(500);
		expect(refused).toBeGreaterThan(500);
	});

	it("keeps zod's reasons for a refused call", () => {
		const v: EventValuesInput = {
			userId: 'x'.repeat(51),
			authorUserId: '',
			userEmail: '',
			answerId: " '' ",
			commentId: '',
			trainingId: '',
			lessonId: '',
			status: '',
			text: '',
			lessonName: '',
			trainingName: '',
		};
		const r = parseEventValues(v);
		expect(r.success).toBe(false);
		if (!r.success) expect(r.error.issues.map((i) => i.message)).toEqual(['user id is longer than 50 characters', 'answer id is missing']);
	});

	it('a usual call: trimmed, quotes stripped, status lower-case, empty fields null', () => {
		const r = parseEventValues({
			userId: " '45678901' ",
			authorUserId: '',
			userEmail: ' Ivan@Example.ru ',
			answerId: '"700000123"',
			commentId: '',
			trainingId: '889900',
			lessonId: ' ',
			status: ' NEW ',
			text: '',
			lessonName: ' 2.3 Практика ',
			trainingName: '',
		});
		expect(r).toEqual({
			success: true,
			data: {
				userId: '45678901',
				authorUserId: null,
				userEmail: 'Ivan@Example.ru',
				answerId: '700000123',
				commentId: null,
				trainingId: '889900',
				lessonId: null,
				status: 'new',
				text: null,
				lessonName: '2.3 Практика',
				trainingName: null,
			},
		});
	});
});
