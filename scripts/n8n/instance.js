'use strict';
/**
 * One n8n instance (user folder + database + encryption key): every CLI command and the server
 * get the same environment. Import credentials and workflows, publish, execute, start.
 */
const crypto = require('node:crypto');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { REPO_DIR, log } = require('./paths');
const { ensureRuntime } = require('./install');
const { n8nEnv } = require('./env');
const { run } = require('./processes');
const { freePort } = require('./http');
const { linkPackage, installPackedPackage } = require('./communityPackage');
const { parseTrailingJson, nodeOutputs } = require('./runOutput');
const { startServer } = require('./server');
const { randomId } = require('./ids');

class N8nInstance {
	/** options: see env.js (userFolder, port, brokerPort, dbName, encryptionKey, db, extra). */
	constructor(options) {
		this.options = { ...options };
		this.runtime = null;
		this.userFolder = options.userFolder;
		this.port = options.port || 5678;
		this.baseUrl = `http://127.0.0.1:${this.port}`;
	}

	async init() {
		if (!this.runtime) this.runtime = await ensureRuntime();
		await fsp.mkdir(path.join(this.userFolder, '.n8n'), { recursive: true });
		return this;
	}

	env(extra = {}) {
		return n8nEnv({ ...this.options, node: this.runtime && this.runtime.node, extra: { ...(this.options.extra || {}), ...extra } });
	}

	/** Runs `n8n <args>` to completion. */
	async cli(args, { extraEnv = {}, timeoutMs = 5 * 60 * 1000 } = {}) {
		await this.init();
		return run(this.runtime.node, [this.runtime.bin, ...args], {
			cwd: this.userFolder,
			env: this.env(extraEnv),
			timeoutMs,
			label: `n8n ${args.join(' ')}`,
		});
	}

	async linkPackage(packageDir = REPO_DIR) {
		return linkPackage(this.userFolder, packageDir);
	}

	async installPackedPackage(tarball) {
		return installPackedPackage(this.userFolder, tarball);
	}

	/** list: [{id, name, type, data}] with plain data; n8n encrypts it on import. */
	async importCredentials(list) {
		const file = path.join(this.userFolder, `credentials-${crypto.randomBytes(4).toString('hex')}.json`);
		const entries = list.map((c) => ({ id: c.id || randomId(), name: c.name, type: c.type, data: c.data }));
		await fsp.writeFile(file, JSON.stringify(entries, null, 2), { mode: 0o600 });
		try {
			await this.cli(['import:credentials', `--input=${file}`]);
		} finally {
			await fsp.rm(file, { force: true });
		}
		return entries;
	}

	/**
	 * Imports workflow files (each a workflow object or an array). One CLI call for all of them.
	 * With publish: true (default) every imported workflow is published afterwards.
	 * Returns the imported workflow objects ({id, name, ...}).
	 */
	async importWorkflows(files, { publish = true, transform } = {}) {
		const workflows = [];
		for (const file of files) {
			const parsed = JSON.parse(await fsp.readFile(file, 'utf8'));
			for (const wf of Array.isArray(parsed) ? parsed : [parsed]) {
				if (!wf.id) throw new Error(`${file}: workflow "${wf.name}" has no id (needed to publish it)`);
				workflows.push(transform ? transform(wf, file) : wf);
			}
		}
		const tmp = path.join(this.userFolder, `workflows-${crypto.randomBytes(4).toString('hex')}.json`);
		await fsp.writeFile(tmp, JSON.stringify(workflows, null, 2));
		try {
			await this.cli(['import:workflow', `--input=${tmp}`]);
		} finally {
			await fsp.rm(tmp, { force: true });
		}
		if (publish) await this.publishAll(workflows.map((wf) => wf.id));
		return workflows;
	}

	/** The CLI publishes one id per call, so the calls run in parallel. */
	async publishAll(ids) {
		return Promise.all(ids.map((id) => this.cli(['publish:workflow', `--id=${id}`])));
	}

	/**
	 * `n8n execute --id=<id> --rawOutput` (the workflow needs a Manual Trigger), with a runner
	 * broker port of its own so it can run beside a started server. Returns
	 * { output (the parsed run or null), nodes ({node: [json…]}), stdout, stderr }.
	 */
	async execute(id, { timeoutMs = 5 * 60 * 1000, retried = false } = {}) {
		const brokerPort = await freePort();
		let stdout;
		let stderr;
		try {
			({ stdout, stderr } = await this.cli(['execute', `--id=${id}`, '--rawOutput'], {
				extraEnv: { N8N_RUNNERS_BROKER_PORT: String(brokerPort), N8N_LOG_LEVEL: 'info' },
				timeoutMs,
			}));
		} catch (error) {
			// Seen with n8n 2.40.7 on Node 24 while a server runs on the same database: the CLI prints
			// the finished run, then dies with SIGSEGV during shutdown. The run itself is complete.
			const runData = error.code === null ? parseTrailingJson(error.stdout) : null;
			if (!runData && error.code === null && error.signal !== 'SIGTERM' && !retried) {
				// Killed by a signal before printing a run: try once more (the nodes are idempotent).
				log(`n8n execute --id=${id} died with ${error.signal} before finishing; running it once more`);
				return this.execute(id, { timeoutMs, retried: true });
			}
			if (!runData || runData.finished !== true || runData.status !== 'success') throw error;
			log(`n8n execute --id=${id}: run finished with status success, but the CLI crashed on exit (ignored)`);
			stdout = error.stdout;
			stderr = error.stderr;
		}
		const output = parseTrailingJson(stdout);
		return { output, nodes: nodeOutputs(output), stdout, stderr };
	}

	/** `n8n start`; see server.js for the options (probes, timeoutMs, logFile, detached). */
	async start({ logFile, ...options } = {}) {
		await this.init();
		return startServer({
			runtime: this.runtime,
			cwd: this.userFolder,
			env: this.env(),
			baseUrl: this.baseUrl,
			logFile: logFile || path.join(this.userFolder, 'n8n.log'),
			...options,
		});
	}
}

function createInstance(options) {
	return new N8nInstance(options);
}

module.exports = { createInstance };
