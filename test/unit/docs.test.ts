/**
 * The documentation says only what exists: every `getcourse-bot <command> [--flag]` in README.md and
 * docs/*.md is a command and a flag of the CLI's own --help; every environment variable of the
 * package's families is one the code reads; every relative link and #anchor resolves by GitHub's
 * rules (and the checker itself finds a broken one); the "Вызвать URL" line is the same in every doc
 * and uses the trigger's own parameter names and path.
 *
 *   npm run build && npx jest test/unit/docs.test.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FIELDS } from '../../lib/payload/fields';
import { checkRelativeLinks, githubSlug, headingAnchors, repoPath } from '../support/markdown';

const DOCS = [repoPath('README.md'), ...readdirSync(repoPath('docs')).filter((f) => f.endsWith('.md')).map((f) => repoPath('docs', f))];
const text = (file: string) => readFileSync(file, 'utf8');
const CLI = repoPath('dist/lib/cli/main.js');

/** command → its flags, as `getcourse-bot --help` prints them (a command's usage runs until the next command's line). */
function helpCommands(): Map<string, Set<string>> {
	if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
	const help = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
	const section = help.slice(help.indexOf('Commands:'), help.indexOf('\n\n', help.indexOf('Commands:')));
	const commands = new Map<string, Set<string>>();
	let current: Set<string> | undefined;
	for (const line of section.split('\n').slice(1)) {
		const m = /^ {2}([a-z][a-z-]*)\b/.exec(line);
		// a command may have several usage lines (retry, retry --backlog, retry --failed): one set
		if (m) commands.set(m[1], (current = commands.get(m[1]) ?? new Set()));
		for (const f of line.matchAll(/--[a-z][a-z-]*/g)) current?.add(f[0]);
	}
	return commands;
}

/** `getcourse-bot <cmd> …` and `npm run cli -- <cmd> …` up to the end of the command (line, code span, `|`, `;`, `#`, `&&`, `)`). */
function mentionedCommands(md: string): Array<{ command: string; flags: string[]; where: string }> {
	const out: Array<{ command: string; flags: string[]; where: string }> = [];
	for (const m of md.matchAll(/(?<![\w-])(?:getcourse-bot|npm run cli --)[ \t]+([a-z][a-z-]*)([^\n`|;#)]*)/g)) {
		const rest = m[2].split('&&')[0];
		out.push({ command: m[1], flags: [...rest.matchAll(/(?:^|\s)(--[a-z][a-z-]*)/g)].map((f) => f[1]), where: m[0].trim() });
	}
	return out;
}

describe('the documentation', () => {
	it("names only commands and flags of the CLI's --help", () => {
		const commands = helpCommands();
		expect([...commands.keys()]).toEqual(expect.arrayContaining(['init', 'stats', 'retry', 'cleanup', 'import', 'export', 'check', 'backup', 'restore']));
		const problems: string[] = [];
		let checked = 0;
		const flagsChecked = new Set<string>();
		for (const file of DOCS) {
			for (const { command, flags, where } of mentionedCommands(text(file))) {
				checked++;
				const known = commands.get(command);
				if (!known) {
					problems.push(`${file}: "${where}": no command "${command}"`);
					continue;
				}
				for (const f of flags) {
					flagsChecked.add(`${command} ${f}`);
					if (!known.has(f)) problems.push(`${file}: "${where}": ${command} has no ${f}`);
				}
			}
		}
		expect(problems).toEqual([]);
		// the check found something to check, flags included
		expect(checked).toBeGreaterThan(20);
		expect(flagsChecked.size).toBeGreaterThanOrEqual(5);
	});

	it('finds a command or flag that does not exist', () => {
		const commands = helpCommands();
		const found = mentionedCommands('Run `getcourse-bot stats --jsn` then `npm run cli -- purge --all`.');
		expect(found).toEqual([
			{ command: 'stats', flags: ['--jsn'], where: 'getcourse-bot stats --jsn' },
			{ command: 'purge', flags: ['--all'], where: 'npm run cli -- purge --all' },
		]);
		expect(commands.get('stats')!.has('--jsn')).toBe(false);
		expect(commands.has('purge')).toBe(false);
	});

	it('names only environment variables the code reads', () => {
		const sources = (dir: string): string[] =>
			readdirSync(repoPath(dir), { recursive: true, encoding: 'utf8' })
				.filter((f) => /\.(ts|js)$/.test(f))
				.map((f) => text(repoPath(dir, f)));
		const code = [...sources('lib'), ...sources('scripts'), ...sources('test'), ...sources('nodes')].join('\n');
		const problems: string[] = [];
		let checked = 0;
		for (const file of DOCS) {
			const names = new Set([...text(file).matchAll(/\b(?:(?:POSTGRES|GETCOURSE|TELEGRAM|N8N|EXECUTIONS|QUEUE_BULL|DB_POSTGRESDB)_[A-Z0-9_]*[A-Z0-9]|SERVER_ENV|DB_TYPE|PGPASSWORD)\b/g)].map((m) => m[0]));
			for (const name of names) {
				checked++;
				if (!code.includes(name)) problems.push(`${file}: ${name} is read nowhere in lib/, scripts/, nodes/ or test/`);
			}
		}
		expect(problems).toEqual([]);
		expect(checked).toBeGreaterThan(15);
	});

	it('has no broken relative link or anchor (GitHub anchor rules)', () => {
		const { checked, problems } = checkRelativeLinks([...DOCS, repoPath('CHANGELOG.md')], repoPath());
		expect(problems).toEqual([]);
		expect(checked).toBeGreaterThan(30);
	});

	it('the link checker finds a missing file, a missing heading and a duplicate heading’s anchor', () => {
		expect(githubSlug('The slowest statements (`pg_stat_statements`)')).toBe('the-slowest-statements-pg_stat_statements');
		expect(githubSlug("GetCourse's calls are refused")).toBe('getcourses-calls-are-refused');
		expect(githubSlug('Кратко по-русски')).toBe('кратко-по-русски');
		expect([...headingAnchors('# A\n## Notes\n```\n# not a heading\n```\n## Notes\n')]).toEqual(['a', 'notes', 'notes-1']);
		const dir = mkdtempSync(join(tmpdir(), 'gcb-links-'));
		try {
			writeFileSync(join(dir, 'a.md'), '# Title\n\n## Two words\n\n[ok](#two-words) [ok](b.md#there) [bad](#three) [bad](c.md) [bad](b.md#nowhere) `[code](x.md)`\n');
			writeFileSync(join(dir, 'b.md'), '# There\n');
			const r = checkRelativeLinks([join(dir, 'a.md')], dir);
			expect(r.checked).toBe(5);
			expect(r.problems.map((p) => p.link)).toEqual(['#three', 'c.md', 'b.md#nowhere']);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('gives one "Вызвать URL" for GetCourse, with the trigger\'s parameter names and path', () => {
		const lines = DOCS.flatMap((file) => text(file).split('\n').filter((l) => l.startsWith('https://n8n.example.com/webhook/getcourse?secret=SECRET&')).map((l) => ({ file, l })));
		expect(lines.map((x) => x.file)).toEqual(expect.arrayContaining([repoPath('docs/nodes.md'), repoPath('docs/README.ru.md')]));
		expect(new Set(lines.map((x) => x.l)).size).toBe(1);
		const url = new URL(lines[0].l);
		const trigger = JSON.parse(text(repoPath('workflows/full-pipeline.json'))).nodes.find((n: { name: string }) => n.name === 'GetCourse Trigger');
		expect(url.pathname).toBe(`/webhook/${trigger.parameters.path}`);
		const names = [...url.searchParams.keys()];
		expect(names[0]).toBe('secret');
		const defaults = Object.values(DEFAULT_FIELDS);
		expect(names.slice(1).filter((n) => !defaults.includes(n))).toEqual([]);
		for (const required of ['user_id', 'answer_id', 'answer_status', 'event_date']) expect(names).toContain(required);
		for (const [name, value] of url.searchParams) if (name !== 'secret') expect(value).toMatch(/^\{object\.[a-z_.]+\}$/);
	});
});
