import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CREDENTIALS } from '../../lib/credentialNames';

const dir = join(__dirname, '../../workflows');
const known = new Map<string, string>(Object.values(CREDENTIALS).map((c) => [c.type, c.name]));

describe('shipped templates refer to credentials by the names n8n proposes', () => {
	const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
	it('there are templates', () => expect(files.length).toBeGreaterThan(0));
	it.each(files)('%s', (file) => {
		const wf = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: Array<{ credentials?: Record<string, { name: string }> }> };
		for (const node of wf.nodes) {
			for (const [type, ref] of Object.entries(node.credentials ?? {})) {
				if (!known.has(type)) continue; // n8n's own credential types
				expect({ type, name: ref.name }).toEqual({ type, name: known.get(type) });
			}
		}
	});
});
