'use strict';
/** HTTP on loopback: a minimal client for n8n's endpoints and webhooks, and free ports. */
const http = require('node:http');
const net = require('node:net');

const LOOPBACK = ['127.0.0.1', 'localhost', '::1', '[::1]'];

/** Resolves {status, headers, body, json}; refuses any URL that is not on loopback. */
function httpRequest(url, { method = 'GET', headers = {}, body, timeoutMs = 30000 } = {}) {
	return new Promise((resolve, reject) => {
		const u = new URL(url);
		if (!LOOPBACK.includes(u.hostname)) return reject(new Error(`httpRequest: refusing non-loopback URL ${url}`));
		let payload = body;
		const h = { ...headers };
		if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
			payload = JSON.stringify(body);
			if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
		}
		if (payload !== undefined) h['content-length'] = Buffer.byteLength(payload);
		const req = http.request({ hostname: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h, agent: false }, (res) => {
			let data = '';
			res.setEncoding('utf8');
			res.on('data', (c) => (data += c));
			res.on('end', () => {
				let json;
				try {
					json = JSON.parse(data);
				} catch {}
				resolve({ status: res.statusCode, headers: res.headers, body: data, json });
			});
		});
		req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${url}`)));
		req.on('error', reject);
		if (payload !== undefined) req.write(payload);
		req.end();
	});
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort() {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
}

module.exports = { httpRequest, freePort };
