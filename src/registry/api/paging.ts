// Harbor's list paging: `page` (default 1) and `page_size` (default 10, at most 100: swagger
// `pageSize` maximum 100, a larger value is a 422 as go-swagger validation answers), the total
// in `X-Total-Count`, and `Link` with rel="prev"/"next" joined by " , " (harbor src/lib/link.go,
// src/server/v2.0/handler/base.go Links).
import { ApiError } from './errors.js';

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;

/** A validated page request. */
export interface Paging {
  page: number;
  pageSize: number;
}

function int(url: URL, name: string, def: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return def;
  if (!/^-?\d{1,18}$/.test(raw)) throw new ApiError('UNPROCESSABLE_ENTITY', `${name} in query must be of type int64: "${raw}"`);
  return Number(raw);
}

/** Reads `page` and `page_size` from a request URL. */
export function parsePaging(url: URL): Paging {
  const page = int(url, 'page', 1);
  const pageSize = int(url, 'page_size', DEFAULT_PAGE_SIZE);
  if (page < 1) throw new ApiError('UNPROCESSABLE_ENTITY', 'page in query should be greater than or equal to 1');
  if (pageSize > MAX_PAGE_SIZE) throw new ApiError('UNPROCESSABLE_ENTITY', `page_size in query should be less than or equal to ${MAX_PAGE_SIZE}`);
  if (pageSize < 1) throw new ApiError('UNPROCESSABLE_ENTITY', 'page_size in query should be greater than or equal to 1');
  return { page, pageSize };
}

/** One page of `items` with the X-Total-Count and Link headers for it. */
export function paginate<T>(items: T[], p: Paging, url: URL): { items: T[]; headers: Record<string, string> } {
  const total = items.length;
  const start = (p.page - 1) * p.pageSize;
  const links: string[] = [];
  const link = (page: number, rel: string) => {
    const u = new URLSearchParams(url.searchParams);
    u.set('page', String(page));
    u.set('page_size', String(p.pageSize));
    links.push(`<${url.pathname}?${u.toString()}>; rel="${rel}"`);
  };
  if (p.page > 1 && (p.page - 1) * p.pageSize < total) link(p.page - 1, 'prev');
  if (start + p.pageSize < total) link(p.page + 1, 'next');
  const headers: Record<string, string> = { 'X-Total-Count': String(total) };
  if (links.length) headers.Link = links.join(' , ');
  return { items: items.slice(start, start + p.pageSize), headers };
}
