'use strict';
/**
 * The loopback Bot API peer (telegram-peer.js) in a process of its own, for benchmarks that
 * count what Telegram would count. In the benchmark's own process the peer's event loop is the
 * sender's too: a pause of the sender (garbage collection, a long statement's result) holds
 * requests that already arrived and then stamps them all at once, as if they had come in a
 * burst. Telegram's servers do not share the sender's event loop; neither does this peer.
 *
 *   const peer = await startPeerProcess({ token, enforceLimits: true });   // peer.baseUrl
 *   await peer.sync();     // messages, requests and limited as the peer has them now
 *   peer.messages, peer.requests, peer.limited, peer.messagesTo(chat)       // as of the last sync
 *   await peer.reset(); await peer.stop();
 */
const { fork } = require('node:child_process');

if (require.main === module) {
	// the child: one peer, answering the parent's requests over IPC
	const { createTelegramPeer } = require('./telegram-peer');
	// Telegram's servers do not wait for the sender's CPU: ahead of the processes under test in the
	// scheduler, so that a request is stamped when it arrives, not when two busy cores get round to
	// this process (where the system allows raising a priority; otherwise as it is)
	try {
		require('node:os').setPriority(-10);
	} catch {
		/* not permitted: the default priority */
	}
	const peer = createTelegramPeer(JSON.parse(process.env.GCB_PEER_OPTIONS || '{}'));
	// how late this process got round to things: the error of its arrival stamps
	const lag = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 5 });
	lag.enable();
	process.on('message', async (m) => {
		if (m.type === 'sync') {
			const stampLag = { maxMs: lag.max / 1e6, p99Ms: lag.percentile(99) / 1e6 };
			process.send({ type: 'state', id: m.id, messages: peer.messages, requests: peer.requests, limited: peer.limited, stampLag });
		}
		else if (m.type === 'reset') {
			peer.reset();
			lag.reset();
			process.send({ type: 'done', id: m.id });
		} else if (m.type === 'stop') {
			await peer.stop();
			process.send({ type: 'done', id: m.id });
			process.exit(0);
		}
	});
	process.on('disconnect', () => process.exit(0));
	peer.start().then((baseUrl) => process.send({ type: 'ready', baseUrl }));
} else {
	module.exports = { startPeerProcess };
}

function startPeerProcess(options = {}) {
	const child = fork(__filename, [], { env: { ...process.env, GCB_PEER_OPTIONS: JSON.stringify(options) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
	let nextId = 1;
	const waiting = new Map();
	const ask = (type) =>
		new Promise((resolve) => {
			const id = nextId++;
			waiting.set(id, resolve);
			child.send({ type, id });
		});
	const peer = {
		baseUrl: null,
		messages: [],
		requests: [],
		limited: { overall: 0, perChat: 0, perGroup: 0 },
		async sync() {
			const s = await ask('sync');
			Object.assign(peer, { messages: s.messages, requests: s.requests, limited: s.limited, stampLag: s.stampLag });
			return peer;
		},
		async reset() {
			await ask('reset');
			Object.assign(peer, { messages: [], requests: [], limited: { overall: 0, perChat: 0, perGroup: 0 } });
		},
		async stop() {
			if (child.exitCode === null) await ask('stop');
		},
		/** Messages to a chat, or to a forum topic given as "-100123:45" (as telegram-peer.js). */
		messagesTo(chatId) {
			const [chat, topic] = String(chatId).split(':');
			return peer.messages.filter((m) => m.chat_id === chat && (topic === undefined || m.message_thread_id === Number(topic)));
		},
	};
	return new Promise((resolve, reject) => {
		child.once('error', reject);
		child.once('exit', (code) => reject(new Error(`the peer process exited (${code}) before it was ready`)));
		child.on('message', (m) => {
			if (m.type === 'ready') {
				peer.baseUrl = m.baseUrl;
				child.removeAllListeners('exit');
				resolve(peer);
			} else if (waiting.has(m.id)) {
				const done = waiting.get(m.id);
				waiting.delete(m.id);
				done(m);
			}
		});
	});
}
