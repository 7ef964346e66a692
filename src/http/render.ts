// `envelope=true` and `pretty=true`, as Atlas renders them (the options come from renderOptions.ts).

/** `{"status": <code>, "content": <entity>}`; a list already is an envelope and only gains `status`. */
export function wrapInEnvelope(status: number, body: unknown): unknown {
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'results' in body) {
    return { ...(body as Record<string, unknown>), status };
  }
  return { content: body, status };
}

export function renderJson(value: unknown, pretty: boolean): string {
  return pretty ? jacksonPretty(value) : JSON.stringify(value);
}

/**
 * Jackson's DefaultPrettyPrinter, which Atlas uses: objects one entry a line, indented two spaces,
 * `"key" : value`; arrays inline as `[ a, b ]`; empty ones as `{ }` and `[ ]`. Arrays do not add a
 * level of indentation, so an object inside an array is indented by its object nesting only.
 */
export function jacksonPretty(value: unknown): string {
  return printValue(value, 0);
}

function printValue(value: unknown, nesting: number): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return printValue((value as { toJSON: () => unknown }).toJSON(), nesting);
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    return `[ ${value.map((item) => printValue(item, nesting)).join(', ')} ]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{ }';
  const inner = '\n' + '  '.repeat(nesting + 1);
  const body = entries.map(([key, v]) => `${JSON.stringify(key)} : ${printValue(v, nesting + 1)}`).join(`,${inner}`);
  return `{${inner}${body}\n${'  '.repeat(nesting)}}`;
}
