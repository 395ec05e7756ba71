import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A database in trouble, for intake tests: a TCP relay in front of PostgreSQL that can freeze
 * (no byte goes through either way, new connections are accepted and then left hanging: a
 * server or network that stopped answering), and an embedded PostgreSQL that can be stopped
 * and started again on the same data and port.
 */
export interface FreezableRelay {
	port: number;
	freeze(): void;
	thaw(): void;
	close(): Promise<void>;
}

export async function startRelay(target: { host: string; port: number }): Promise<FreezableRelay> {
	let frozen = false;
	const sockets = new Set<Socket>();
	const held: Array<() => void> = [];
	/** Bytes go through at once, or wait for thaw(). */
	const forward = (from: Socket, to: Socket) =>
		from.on('data', (chunk) => {
			if (frozen) held.push(() => to.write(chunk));
			else to.write(chunk);
		});
	const link = (client: Socket) => {
		const upstream = connect(target.port, target.host);
		sockets.add(upstream);
		upstream.on('error', () => client.destroy());
		forward(client, upstream);
		forward(upstream, client);
		client.on('close', () => upstream.destroy());
		upstream.on('close', () => client.destroy());
	};
	const server: Server = createServer((client) => {
		sockets.add(client);
		client.on('error', () => undefined);
		client.on('close', () => sockets.delete(client));
		if (frozen) held.push(() => link(client));
		else link(client);
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	return {
		port: (server.address() as { port: number }).port,
		freeze() {
			frozen = true;
		},
		thaw() {
			frozen = false;
			for (const go of held.splice(0)) go();
		},
		async close() {
			for (const s of sockets) s.destroy();
			await new Promise((r) => server.close(r));
		},
	};
}

export interface RestartablePg {
	host: string;
	port: number;
	user: string;
	password: string;
	database: string;
	stop(): Promise<void>;
	start(): Promise<void>;
	/** Stops it (if running) and removes its data. */
	destroy(): Promise<void>;
}

/** An embedded PostgreSQL (scripts/embedded-pg.js) whose data survives stop() and start(). */
export async function startRestartablePg(): Promise<RestartablePg> {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { startEmbeddedPostgres } = require('../../scripts/embedded-pg');
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { freePort } = require('../../scripts/n8n/http');
	const root = mkdtempSync(join(tmpdir(), 'gcb-trouble-pg-'));
	chmodSync(root, 0o777); // as root, PostgreSQL runs as user postgres and creates its folder here
	const port: number = await freePort();
	const dataDir = join(root, 'data');
	let running: { stop(): Promise<unknown>; password: string; user: string } | null = await startEmbeddedPostgres({ dataDir, port });
	const first = running!;
	return {
		host: '127.0.0.1',
		port,
		user: first.user,
		password: first.password,
		database: 'postgres',
		async stop() {
			await running?.stop();
			running = null;
		},
		async start() {
			if (!running) running = await startEmbeddedPostgres({ dataDir, port });
		},
		async destroy() {
			await running?.stop();
			running = null;
			rmSync(root, { recursive: true, force: true });
		},
	};
}
