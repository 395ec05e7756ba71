'use strict';
/**
 * The shipped templates in `npm start`'s n8n: imported once (editor changes survive restarts)
 * unless --reset-workflows, or again when an import left a credential reference unresolved;
 * published, except sending without a Telegram token (then unpublished if it was).
 */
const fs = require('node:fs');
const rt = require('../n8n');

const NAMES = ['intake', 'processing', 'sending', 'maintenance'];

async function importAndPublish({ n8n, server, n8nDb, credentialNames, hasToken, reset, say }) {
	const templates = NAMES.filter((n) => fs.existsSync(rt.templatePath(n))).map((n) => ({
		name: n,
		file: rt.templatePath(n),
		wf: JSON.parse(fs.readFileSync(rt.templatePath(n), 'utf8')),
	}));
	const ids = templates.map((x) => x.wf.id);
	const rows = await rt.withPg(server, n8nDb, async (c) => (await c.query(`SELECT id, nodes, "activeVersionId" FROM workflow_entity WHERE id = ANY($1)`, [ids])).rows);
	const existing = new Map(rows.map((row) => [row.id, row]));
	// A workflow imported before its credential existed keeps {"id": null}: import it again.
	const unresolved = (row) => (row.nodes || []).some((node) => Object.values(node.credentials || {}).some((ref) => !ref.id && credentialNames.has(ref.name)));
	const toImport = templates.filter((x) => reset || !existing.has(x.wf.id) || unresolved(existing.get(x.wf.id)));
	let t = Date.now();
	if (toImport.length) {
		await n8n.importWorkflows(
			toImport.map((x) => x.file),
			{ publish: false },
		);
		say(`workflows imported: ${toImport.map((x) => x.name).join(', ')} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
	}
	const active = await rt.withPg(server, n8nDb, async (c) => {
		const r = await c.query(`SELECT id, "activeVersionId" FROM workflow_entity WHERE id = ANY($1)`, [ids]);
		return new Map(r.rows.map((row) => [row.id, !!row.activeVersionId]));
	});
	const toPublish = templates.filter((x) => (x.name !== 'sending' || hasToken) && !active.get(x.wf.id));
	const sending = templates.find((x) => x.name === 'sending');
	const unpublishSending = !hasToken && sending && active.get(sending.wf.id);
	t = Date.now();
	await Promise.all([n8n.publishAll(toPublish.map((x) => x.wf.id)), unpublishSending ? n8n.cli(['unpublish:workflow', `--id=${sending.wf.id}`]) : null]);
	if (unpublishSending) say('sending unpublished (no TELEGRAM_BOT_TOKEN)');
	if (toPublish.length) say(`published: ${toPublish.map((x) => x.name).join(', ')} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}

module.exports = { importAndPublish };
