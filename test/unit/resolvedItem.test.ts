import { parseResolvedItem, quickResolvedItem, resolvedItemSchema } from '../../lib/notify/resolvedItem';

/**
 * Create Notification reads Resolve Mentor items without zod when they pass (lib/notify/resolvedItem.ts):
 * the quick reader must give exactly zod's result, and step aside whenever zod would refuse.
 */
const base = () => ({
	eventId: '7',
	idempotencyKey: 'answer:1:new',
	eventDate: '2026-02-03T09:05:11.000Z',
	kind: 'answer',
	resubmission: false,
	answer: { id: '1', status: 'new', text: 'Готово', trainingId: '889900', lessonId: null },
	comment: null,
	student: { id: '5', userId: '45678901', email: 'ivan@example.ru', name: 'Иван' },
	mentor: { id: '3', email: 'm@school.ru', name: 'Мария', telegramId: '777' },
	training: { id: '889900', name: 'Поток' },
	lesson: { id: null, name: null },
	notes: [],
});
const paths = [
	['eventId'], ['idempotencyKey'], ['eventDate'], ['kind'], ['resubmission'], ['answer'], ['answer', 'id'], ['answer', 'status'], ['answer', 'text'],
	['answer', 'trainingId'], ['answer', 'lessonId'], ['comment'], ['comment', 'id'], ['comment', 'text'], ['student'], ['student', 'userId'],
	['student', 'email'], ['student', 'name'], ['mentor'], ['mentor', 'id'], ['mentor', 'name'], ['mentor', 'telegramId'], ['training'],
	['training', 'id'], ['training', 'name'], ['lesson'], ['lesson', 'id'], ['lesson', 'name'], ['extra'],
];
// fresh objects each time (a value is mutated further when a later path goes through it)
const palette: Array<() => unknown> = [
	() => undefined, () => null, () => '', () => 'x', () => 'answer', () => 'comment', () => 0, () => 7, () => -1.5, () => NaN, () => Infinity,
	() => true, () => false, () => [], () => ['1'], () => ({}), () => ({ id: '1', text: 't' }), () => new Date(0), () => Object.create({ id: '1' }), () => 'DELETE',
];

function* items(n: number): Generator<unknown> {
	let seed = 7;
	const rnd = (k: number) => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) % k;
	};
	for (let i = 0; i < n; i++) {
		const item: Record<string, unknown> = base();
		for (let k = rnd(3); k > 0; k--) {
			const path = paths[rnd(paths.length)];
			let target = item;
			for (const p of path.slice(0, -1)) {
				if (typeof target[p] !== 'object' || target[p] === null) target[p] = {};
				target = target[p] as Record<string, unknown>;
			}
			const v = palette[rnd(palette.length)]();
			if (v === 'DELETE') delete target[path[path.length - 1]];
			else target[path[path.length - 1]] = v;
		}
		yield item;
	}
}

describe('quick read of a Resolve Mentor item', () => {
	it('agrees with the zod schema on 10,000 generated items: the same result, or it steps aside (and zod decides)', () => {
		let passed = 0;
		let quickly = 0;
		let refused = 0;
		const disagreements: unknown[] = [];
		for (const item of items(10_000)) {
			const zod = resolvedItemSchema.safeParse(item);
			const quick = quickResolvedItem(item);
			if (zod.success) passed++;
			else refused++;
			if (quick === undefined) continue; // zod decides
			quickly++;
			if (!zod.success || JSON.stringify(zod.data) !== JSON.stringify(quick)) disagreements.push({ item, zod: zod.success ? zod.data : zod.error.issues, quick });
		}
		expect(disagreements.slice(0, 3)).toEqual([]);
		expect(refused).toBeGreaterThan(1000);
		// it steps aside only for the unusual (an inherited property, say): every plain item zod takes, it takes
		expect(quickly).toBeGreaterThan(passed * 0.95);
	});

	it('a usual item: ids as strings, unknown fields left out', () => {
		const r = parseResolvedItem({ ...base(), eventId: 7, mentor: { id: 3, telegramId: 777 } });
		expect(r.success && r.data).toEqual({
			eventId: '7',
			idempotencyKey: 'answer:1:new',
			eventDate: '2026-02-03T09:05:11.000Z',
			kind: 'answer',
			resubmission: false,
			answer: { id: '1', status: 'new', text: 'Готово', trainingId: '889900', lessonId: null },
			comment: null,
			student: { userId: '45678901', email: 'ivan@example.ru', name: 'Иван' },
			mentor: { id: '3', telegramId: '777' },
			training: { id: '889900', name: 'Поток' },
			lesson: { id: null, name: null },
		});
	});

	it("keeps zod's reason for a refused item", () => {
		const r = parseResolvedItem({ ...base(), mentor: { id: '3', telegramId: '' } });
		expect(r.success).toBe(false);
		if (!r.success) expect(r.error.issues[0].path).toEqual(['mentor', 'telegramId']);
	});
});
