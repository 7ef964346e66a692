import { ApiError } from './errors.js';

// Atlas list conventions: `itemsPerPage` (1–500, default 100), `pageNum` (≥ 1, default 1),
// `includeCount` (default true); the body is `{links, results, totalCount}` with `self` always,
// `previous` except on the first page and `next` except on the last.

export interface PageRequest {
  itemsPerPage: number;
  pageNum: number;
  includeCount: boolean;
}

function positiveInteger(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) throw new ApiError('INVALID_QUERY_PARAMETER', [name]);
  const n = Number(value);
  if (n < 1 || n > max) throw new ApiError('INVALID_QUERY_PARAMETER', [name]);
  return n;
}

export function parsePageRequest(query: Record<string, unknown>): PageRequest {
  const includeCount = query.includeCount;
  if (includeCount !== undefined && includeCount !== 'true' && includeCount !== 'false') {
    throw new ApiError('INVALID_QUERY_PARAMETER', ['includeCount']);
  }
  return {
    itemsPerPage: positiveInteger('itemsPerPage', query.itemsPerPage, 100, 500),
    pageNum: positiveInteger('pageNum', query.pageNum, 1, 1_000_000_000),
    includeCount: includeCount !== 'false',
  };
}

export interface PageLink {
  href: string;
  rel: 'self' | 'previous' | 'next';
}

/**
 * `leadingQuery`: what the links carry before the page parameters, as Atlas's do for some lists
 * (`includeCount=true&` for projects, and `includeDeletedWithRetainedBackups=false&` too for clusters).
 */
export function paginate<T>(items: readonly T[], page: PageRequest, baseUrl: string, leadingQuery = '') {
  const start = (page.pageNum - 1) * page.itemsPerPage;
  return pageOf(items.slice(start, start + page.itemsPerPage), items.length, page, baseUrl, leadingQuery);
}

/** Where a list is paged by the store: the page's `results` of `totalCount` in all. */
export function pageOf<T>(results: readonly T[], totalCount: number, page: PageRequest, baseUrl: string, leadingQuery = '') {
  const start = (page.pageNum - 1) * page.itemsPerPage;
  const href = (pageNum: number) => `${baseUrl}?${leadingQuery}pageNum=${pageNum}&itemsPerPage=${page.itemsPerPage}`;
  const links: PageLink[] = [];
  if (page.pageNum > 1) links.push({ href: href(page.pageNum - 1), rel: 'previous' });
  links.push({ href: href(page.pageNum), rel: 'self' });
  if (start + page.itemsPerPage < totalCount) links.push({ href: href(page.pageNum + 1), rel: 'next' });
  return page.includeCount ? { links, results, totalCount } : { links, results };
}
