import crypto from 'node:crypto';
import http from 'node:http';

// The baseline: the least a Node server can do for the same request — read the body, parse the
// JSON, answer 201 with a token-sized JSON body. No framework, no auth, no storage.

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const token = Buffer.from(JSON.stringify({ parsed, privateApiKey: crypto.randomUUID() })).toString('base64');
    const body = JSON.stringify({ linkToken: token });
    res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`pushlink listening on http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
