/**
 * What a release depends on: package.json's repository, homepage, bugs and author name one GitHub
 * repository; every docs link of the nodes (description and codex) and credentials points into that
 * repository at a file and heading that exist (kept whole: n8n uses a description's link as it is);
 * the version has its CHANGELOG entry; CI runs .ci/run with PostgreSQL and Redis on Node 20; the
 * publish workflow publishes with provenance on a v* tag; no node imports the command line's
 * backup code (it spawns pg_dump).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { headingAnchors, repoPath } from '../support/markdown';

const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8'));
const read = (...p: string[]) => readFileSync(repoPath(...p), 'utf8');
const files = (dir: string, re: RegExp) =>
	readdirSync(repoPath(dir), { recursive: true, encoding: 'utf8' })
		.filter((f) => re.test(f))
		.map((f) => `${dir}/${f}`);

const REPO = /^git\+https:\/\/github\.com\/([\w.-]+)\/([\w.-]+)\.git$/.exec(pkg.repository.url);

describe('package metadata', () => {
	it('repository, homepage, bugs and author name one GitHub repository', () => {
		expect(REPO).not.toBeNull();
		const [, owner, name] = REPO!;
		const base = `https://github.com/${owner}/${name}`;
		expect(pkg.repository.type).toBe('git');
		expect(pkg.homepage).toBe(`${base}#readme`);
		expect(pkg.bugs.url).toBe(`${base}/issues`);
		expect(pkg.author).toMatchObject({ name: expect.stringMatching(/\S/), email: expect.stringMatching(/^[^@\s]+@[^@\s]+$/), url: `https://github.com/${owner}` });
		expect(pkg.name).toBe(name);
	});

	it("every node's and credential's docs link lands on a heading of this repository's docs", () => {
		const [, owner, name] = REPO!;
		const sources = [...files('nodes', /\.node\.(ts|json)$/), ...files('credentials', /\.credentials\.ts$/)];
		const links = sources.flatMap((file) => [...read(file).matchAll(/https:\/\/github\.com\/[^'"\s)]+/g)].map((m) => ({ file, url: m[0] })));
		const problems: string[] = [];
		for (const { file, url } of links) {
			if (url === `https://github.com/${owner}/${name}`) continue;
			const m = new RegExp(`^https://github\\.com/${owner}/${name}/blob/main/([^#?]+\\.md)#([^#?]+)$`).exec(url);
			if (!m) {
				problems.push(`${file}: ${url} is not a <repository>/blob/main/<file>.md#<heading> link`);
				continue;
			}
			if (!headingAnchors(read(m[1])).has(m[2])) problems.push(`${file}: ${url}: no heading "#${m[2]}" in ${m[1]}`);
		}
		expect(problems).toEqual([]);
		// each node: its description's link and its codex's primary documentation, the same; each credential one
		const nodes = files('nodes', /\.node\.ts$/);
		expect(nodes).toHaveLength(JSON.parse(read('package.json')).n8n.nodes.length);
		for (const node of nodes) {
			const own = /documentationUrl: '([^']+)'/.exec(read(node))?.[1];
			const codex = JSON.parse(read(node.replace(/\.ts$/, '.json'))).resources.primaryDocumentation[0].url;
			expect({ node, own }).toEqual({ node, own: codex });
		}
		for (const cred of files('credentials', /\.credentials\.ts$/)) expect(read(cred)).toMatch(/documentationUrl = 'https:\/\/github\.com\/[^']+#[a-z-]+'/);
	});

	it('the version has its CHANGELOG entry, with upgrade notes', () => {
		const changelog = read('CHANGELOG.md');
		const entry = changelog.slice(changelog.indexOf(`## ${pkg.version}\n`));
		expect(changelog).toContain(`## ${pkg.version}\n`);
		expect(entry.slice(0, entry.indexOf('\n## ', 4))).toMatch(/getcourse-bot init/);
		expect(JSON.parse(read('package-lock.json')).version).toBe(pkg.version);
	});

	it('CI runs .ci/run on pushes with PostgreSQL and Redis on Node 20', () => {
		const ci = read('.github/workflows/ci.yml');
		expect(ci).toMatch(/^on:\n {2}push:/m);
		expect(ci).toMatch(/^ {6}postgres:\n(?: *#.*\n)* {8}image: postgres:\d+/m);
		expect(ci).toMatch(/POSTGRES_HOST_AUTH_METHOD: trust/);
		expect(ci).toMatch(/POSTGRES_DB: test/);
		expect(ci).toMatch(/- 5432:5432/);
		expect(ci).toMatch(/^ {6}redis:\n {8}image: redis:\d+/m);
		expect(ci).toMatch(/- 6379:6379/);
		expect(ci).toMatch(/node-version: 20\n/);
		expect(ci).toMatch(/run: bash \.ci\/run\n/);
	});

	it('publishes to npm with provenance on a v* tag', () => {
		const publish = read('.github/workflows/publish.yml');
		expect(publish).toMatch(/^on:\n {2}push:\n {4}tags: \['v\*'\]/m);
		expect(publish).toMatch(/^permissions:\n(?: {2}.+\n)* {2}id-token: write$/m);
		expect(publish).toMatch(/run: npm publish --provenance --access public\n/);
		expect(publish).toMatch(/NODE_AUTH_TOKEN: \$\{\{ secrets\.NPM_TOKEN \}\}/);
		expect(publish).toMatch(/registry-url: https:\/\/registry\.npmjs\.org/);
	});

	it('no node imports the command line’s backup code', () => {
		const offenders = files('nodes', /\.ts$/).filter((f) => /lib\/backup/.test(read(f)));
		expect(offenders).toEqual([]);
	});
});
