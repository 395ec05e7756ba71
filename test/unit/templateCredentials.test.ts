import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INodeType } from 'n8n-workflow';
import { CREDENTIALS } from '../../lib/credentialNames';

const dir = join(__dirname, '../../workflows');
const PACKAGE = 'n8n-nodes-getcourse-bot.';
const known = new Map<string, string>(Object.values(CREDENTIALS).map((c) => [c.type, c.name]));
/** Every node the package declares (package.json n8n.nodes), loaded from its source. */
const nodeTypes = new Map<string, INodeType>(
	(JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).n8n.nodes as string[]).map((file) => {
		const source = join(__dirname, '../..', file.replace(/^dist\//, '').replace(/\.js$/, ''));
		const className = /([A-Za-z]+)\.node$/.exec(source)![1];
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const n = new (require(source)[className] as new () => INodeType)();
		return [PACKAGE + n.description.name, n];
	}),
);

interface TemplateNode {
	name: string;
	type: string;
	credentials?: Record<string, { name: string }>;
}

describe('shipped templates refer to credentials by the names n8n proposes', () => {
	const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
	it('are the templates the README lists', () => {
		expect(files.sort()).toEqual(['full-pipeline.json', 'intake.json', 'maintenance.json', 'processing.json', 'reference-sync.json', 'review-clock.json', 'sending.json']);
	});

	it.each(files)('%s: every node of this package has each credential it needs, under the default name', (file) => {
		const wf = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: TemplateNode[] };
		let checked = 0;
		for (const node of wf.nodes.filter((n) => n.type.startsWith(PACKAGE))) {
			const type = nodeTypes.get(node.type);
			expect({ node: node.name, type: node.type, known: Boolean(type) }).toEqual({ node: node.name, type: node.type, known: true });
			for (const need of type!.description.credentials ?? []) {
				const ref = node.credentials?.[need.name];
				if (!ref && !need.required) continue;
				expect({ node: node.name, credential: need.name, name: ref?.name }).toEqual({ node: node.name, credential: need.name, name: known.get(need.name) });
				checked++;
			}
		}
		// a template whose nodes need no credential would check nothing: that is a broken test, not a pass
		expect(checked).toBeGreaterThan(0);
	});

	it('together they use every credential of the package', () => {
		const used = new Set<string>();
		for (const file of files) {
			const wf = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: TemplateNode[] };
			for (const node of wf.nodes) for (const type of Object.keys(node.credentials ?? {})) used.add(type);
		}
		expect([...known.keys()].filter((t) => !used.has(t))).toEqual([]);
	});
});
