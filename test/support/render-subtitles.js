'use strict';
/**
 * Renders node subtitles the way n8n's editor does on the canvas (editor-ui getNodeSubtitle):
 * a node added with its default parameters (n8n-workflow's Workflow fills them in), then
 * `workflow.expression.getSimpleParameterValue(node, description.subtitle, 'internal', {})`.
 *
 * Runs with n8n's Node 24 and n8n-workflow from the n8n install:
 *   node render-subtitles.js <n8n node_modules folder>   < descriptions.json   > results.json
 * Input: [node type description, …] as /types/nodes.json gives them.
 * Output: [{ type, version, subtitle (the expression), rendered, error }].
 */
const path = require('node:path');

const nodeModules = process.argv[2];
const { Workflow } = require(path.join(nodeModules, 'n8n-workflow'));
const EMPTY = '__EMPTY__'; // the editor's placeholder for an empty value

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
	const results = [];
	for (const description of JSON.parse(input)) {
		const versions = Array.isArray(description.version) ? description.version : [description.version];
		for (const version of versions) {
			const result = { type: description.name, version, subtitle: description.subtitle ?? null, rendered: null, error: null };
			if (description.subtitle !== undefined) {
				const nodeTypes = {
					getByName: () => ({ description }),
					getByNameAndVersion: () => ({ description }),
					getKnownTypes: () => ({}),
				};
				const node = { id: 'n1', name: description.defaults?.name ?? description.displayName, type: description.name, typeVersion: version, position: [0, 0], parameters: {} };
				try {
					const workflow = new Workflow({ id: 'w1', nodes: [node], connections: {}, active: false, nodeTypes });
					result.rendered = workflow.expression.getSimpleParameterValue(workflow.getNode(node.name), description.subtitle, 'internal', {}, undefined, EMPTY);
				} catch (error) {
					result.error = String(error && error.message);
				}
			}
			results.push(result);
		}
	}
	process.stdout.write(JSON.stringify(results));
});
