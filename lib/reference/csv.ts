/**
 * CSV as spreadsheets write it: optional byte order mark, `,` `;` or tab between fields
 * (detected from the header line), fields in double quotes with "" for a quote and line
 * breaks inside, CRLF or LF. Blank lines (also lines of delimiters only) are skipped.
 */

export type Delimiter = ',' | ';' | '\t';

export interface ParsedCsv {
	delimiter: Delimiter;
	headers: string[];
	/** One record per data line: header → cell. Cells beyond the header are named column_<n>. */
	records: Array<Record<string, string>>;
	/** 1-based line of each record in the file (for messages). */
	lines: number[];
}

/** The candidate that occurs most often outside quotes in the first line; `,` on a tie. */
export function detectDelimiter(text: string): Delimiter {
	const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 };
	let quoted = false;
	for (const ch of text) {
		if (ch === '"') quoted = !quoted;
		else if (!quoted && (ch === '\n' || ch === '\r')) break;
		else if (!quoted && ch in counts) counts[ch as Delimiter]++;
	}
	let best: Delimiter = ',';
	for (const d of [';', '\t'] as Delimiter[]) if (counts[d] > counts[best]) best = d;
	return best;
}

export function parseCsv(input: string, delimiter?: Delimiter): ParsedCsv {
	const text = input.replace(/^\uFEFF/, '');
	const d = delimiter ?? detectDelimiter(text);
	const rows: Array<{ cells: string[]; line: number }> = [];
	let cells: string[] = [];
	let cell = '';
	let quoted = false;
	let line = 1;
	let rowLine = 1;
	let touched = false;
	const endCell = () => {
		cells.push(cell);
		cell = '';
	};
	const endRow = () => {
		endCell();
		// Lines with nothing but delimiters (spreadsheets add them below the data) are blank too.
		if (cells.some((c) => c.trim() !== '')) rows.push({ cells, line: rowLine });
		cells = [];
		touched = false;
	};
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (quoted) {
			if (ch === '"') {
				if (text[i + 1] === '"') {
					cell += '"';
					i++;
				} else quoted = false;
			} else {
				if (ch === '\n') line++;
				cell += ch;
			}
			continue;
		}
		if (ch === '"' && cell === '') {
			quoted = true;
			touched = true;
		} else if (ch === d) {
			endCell();
			touched = true;
		} else if (ch === '\r' || ch === '\n') {
			if (ch === '\r' && text[i + 1] === '\n') i++;
			endRow();
			line++;
			rowLine = line;
		} else cell += ch;
	}
	if (quoted) throw new Error(`CSV: a quoted field opened on line ${rowLine} is never closed`);
	if (cell !== '' || cells.length || touched) endRow();
	if (!rows.length) return { delimiter: d, headers: [], records: [], lines: [] };
	const headers = rows[0].cells.map((h) => h.trim());
	const twice = headers.find((h, i) => h !== '' && headers.indexOf(h) !== i);
	if (twice) throw new Error(`CSV: column "${twice}" appears twice in the header`);
	const records = rows.slice(1).map(({ cells: cs }) => {
		const r: Record<string, string> = {};
		cs.forEach((v, i) => {
			if (i < headers.length) r[headers[i]] = v;
			else if (v.trim() !== '') r[`column_${i + 1}`] = v;
		});
		return r;
	});
	return { delimiter: d, headers, records, lines: rows.slice(1).map((r) => r.line) };
}

const needsQuotes = (v: string, d: string) => v.includes(d) || /["\r\n]/.test(v) || v !== v.trim();

export function toCsv(headers: string[], rows: Array<Record<string, unknown>>, delimiter: Delimiter = ','): string {
	const cell = (v: unknown) => {
		const s = v === null || v === undefined ? '' : String(v);
		return needsQuotes(s, delimiter) ? `"${s.replace(/"/g, '""')}"` : s;
	};
	return [headers, ...rows.map((r) => headers.map((h) => r[h]))].map((cells) => cells.map(cell).join(delimiter)).join('\r\n') + '\r\n';
}
