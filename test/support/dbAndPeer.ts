import { closeAllPools } from '../../lib/db/pool';
import { createTestDb, type TestDb } from './db';

interface Peer {
	start(): Promise<string>;
	stop(): Promise<void>;
	reset(): void;
}

/**
 * The lifecycle of a test file that sends to the loopback Bot API: a schema of its own and the
 * peer started before the first test (handed over through `ready`), both torn down after the last;
 * before each test the peer forgets what it received and `truncate` (a list of tables) is emptied.
 * A file's own beforeEach (seeding) runs after this one.
 */
export function withDbAndPeer(prefix: string, peer: Peer, truncate: string, ready: (t: TestDb, baseUrl: string) => void): void {
	let t: TestDb;
	beforeAll(async () => {
		t = await createTestDb(prefix);
		ready(t, await peer.start());
	});
	afterAll(async () => {
		await peer.stop();
		await t.drop();
		await closeAllPools();
	});
	beforeEach(async () => {
		peer.reset();
		await t.db.pool.query(`TRUNCATE ${truncate} RESTART IDENTITY`);
	});
}
