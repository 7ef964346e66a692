// A link-token given to a command: as the argument itself, or `-` to read it from standard input,
// so the token (which holds a private key) need not appear in a shell history or a process list.
// `token inspect <token|->` and `link complete --token <token|->` both take it this way.

export async function readTokenArgument(argument: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  if (argument !== '-') return argument;
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8').trim();
}
