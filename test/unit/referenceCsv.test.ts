import { detectDelimiter, parseCsv, toCsv } from '../../lib/reference/csv';

describe('CSV reader', () => {
	it('detects ; , and tab from the header line, ignoring delimiters inside quotes', () => {
		expect(detectDelimiter('email;first_name;last_name\na,b;c')).toBe(';');
		expect(detectDelimiter('email,first_name\n')).toBe(',');
		expect(detectDelimiter('email\tfirst_name\tlast_name')).toBe('\t');
		expect(detectDelimiter('"a;b;c;d",x,y\n')).toBe(',');
		expect(detectDelimiter('email')).toBe(',');
	});

	it('reads a BOM, quotes with "" inside, line breaks inside quotes, CRLF, and skips blank and delimiter-only lines', () => {
		const text = '\uFEFFEmail;First_Name;Note\r\n"ivan@example.ru";"Иван ""Ваня""";"line 1\r\nline 2"\r\n\r\n;;\r\nolga@example.ru;Ольга;\r\n';
		const csv = parseCsv(text);
		expect(csv.delimiter).toBe(';');
		expect(csv.headers).toEqual(['Email', 'First_Name', 'Note']);
		expect(csv.records).toEqual([
			{ Email: 'ivan@example.ru', First_Name: 'Иван "Ваня"', Note: 'line 1\r\nline 2' },
			{ Email: 'olga@example.ru', First_Name: 'Ольга', Note: '' },
		]);
		expect(csv.lines).toEqual([2, 6]);
	});

	it('names cells beyond the header, so the row fails as an unknown column', () => {
		expect(parseCsv('a,b\n1,2,3\n').records).toEqual([{ a: '1', b: '2', column_3: '3' }]);
		expect(parseCsv('a,b\n1,2,\n').records).toEqual([{ a: '1', b: '2' }]);
	});

	it('refuses an unclosed quote and a header named twice', () => {
		expect(() => parseCsv('a,b\n"1,2\n')).toThrow(/never closed/);
		expect(() => parseCsv('email,email\n1,2\n')).toThrow(/"email" appears twice/);
	});

	it('writes what it reads back (quotes, delimiters, line breaks, spaces at the ends)', () => {
		const rows = [
			{ email: 'a@x.ru', name: 'Ann, "the first"', note: 'two\nlines', pad: ' x ' },
			{ email: 'b@x.ru', name: null, note: '', pad: undefined },
		];
		const headers = ['email', 'name', 'note', 'pad'];
		for (const d of [',', ';', '\t'] as const) {
			const text = toCsv(headers, rows, d);
			const back = parseCsv(text);
			expect(back.delimiter).toBe(d);
			expect(back.records).toEqual([
				{ email: 'a@x.ru', name: 'Ann, "the first"', note: 'two\nlines', pad: ' x ' },
				{ email: 'b@x.ru', name: '', note: '', pad: '' },
			]);
		}
	});
});
