import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jacksonPretty, wrapInEnvelope } from '../../src/http/render.js';

describe('jacksonPretty', () => {
  it('prints objects like Atlas (Jackson DefaultPrettyPrinter)', () => {
    // The body of a real Atlas 401, as recorded (key order as sent).
    const body = { error: 401, reason: 'Unauthorized', detail: 'You are not authorized for this resource.', errorCode: 'UNEXPECTED_ERROR' };
    assert.equal(
      jacksonPretty(body),
      '{\n  "error" : 401,\n  "reason" : "Unauthorized",\n  "detail" : "You are not authorized for this resource.",\n  "errorCode" : "UNEXPECTED_ERROR"\n}',
    );
  });

  it('prints arrays inline and nests objects in arrays by object depth only', () => {
    const value = { links: [{ href: 'h', rel: 'self' }], results: [], n: [1, 2], e: {} };
    assert.equal(
      jacksonPretty(value),
      '{\n  "links" : [ {\n    "href" : "h",\n    "rel" : "self"\n  } ],\n  "results" : [ ],\n  "n" : [ 1, 2 ],\n  "e" : { }\n}',
    );
  });

  it('prints a top-level array of objects', () => {
    assert.equal(jacksonPretty([{ a: 1 }, { b: null }]), '[ {\n  "a" : 1\n}, {\n  "b" : null\n} ]');
  });

  it('escapes strings as JSON and stays parseable', () => {
    const value = { 'k"ey': 'line\nbreak "quoted" \u2028', nested: { deep: [true, false, 1.5] } };
    assert.deepEqual(JSON.parse(jacksonPretty(value)), value);
  });
});

describe('envelope', () => {
  it('wraps an entity as {status, content}', () => {
    assert.deepEqual(wrapInEnvelope(201, { linkToken: 't' }), { content: { linkToken: 't' }, status: 201 });
  });
  it('adds only status to a list (it already is an envelope)', () => {
    assert.deepEqual(wrapInEnvelope(200, { links: [], results: [], totalCount: 0 }), {
      links: [],
      results: [],
      totalCount: 0,
      status: 200,
    });
  });
});
