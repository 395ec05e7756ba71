import { normaliseEmail } from '../../lib/email';

describe('emails as stored and compared', () => {
	it.each([
		['ученица@почта.рф', 'ученица@почта.рф'],
		['ученица@xn--80a1acny.xn--p1ai', 'ученица@почта.рф'],
		[' УЧЕНИЦА@Почта.РФ\t', 'ученица@почта.рф'],
		['иван@mail.ru', 'иван@mail.ru'],
		['Ivan@Example.RU', 'ivan@example.ru'],
		['first.last+tag@sub.example.co.uk', 'first.last+tag@sub.example.co.uk'],
		['user@пример.испытание', 'user@пример.испытание'],
	])('%j → %j', (raw, expected) => {
		expect(normaliseEmail(raw)).toBe(expected);
	});

	it.each(['', 'ivan', 'ivan@', '@mail.ru', 'ivan@mail', 'iv an@mail.ru', 'a@b@mail.ru', 'ivan..p@mail.ru', '.ivan@mail.ru', 'ivan@-mail.ru', 'ivan@mail.r', 'ivan@ma il.ru', 'ivan@xn--zz.ru', `${'x'.repeat(65)}@mail.ru`])(
		'refuses %j',
		(raw) => {
			expect(normaliseEmail(raw)).toBeNull();
		},
	);

	it('refuses what is not a string', () => {
		expect(normaliseEmail(42)).toBeNull();
		expect(normaliseEmail(null)).toBeNull();
	});
});
