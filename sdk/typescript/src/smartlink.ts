// Signed smart links, format v1 (the README's "Signed smart links"): minted
// offline with a link-signing key; the pass is made when the link is opened.

import { createHmac } from 'node:crypto';

/** What a smart link carries. */
export interface SmartLink {
  /** The service's public base URL. */
  baseUrl: string;
  /** The template id. */
  template: string;
  /** Signed field values. */
  fields?: Record<string, string>;
  /** Unsigned field values (only the template's `unsignedFields`). */
  unsigned?: Record<string, string>;
  /** The link id: one pass per template and link id. */
  linkId: string;
  /** Expiry, Unix seconds. */
  expires?: number;
  /** The link-signing key's id (`lk_…`). */
  keyId: string;
  /** The link-signing key's secret (`lks_…`). */
  secret: string;
}

/** Percent-encodes every UTF-8 byte but `A–Z a–z 0–9 - . _ ~`. */
export function percentEncode(s: string): string {
  return Array.from(Buffer.from(s, 'utf8'))
    .map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

/** The canonical string a link is signed over. */
export function canonicalLink(template: string, signed: Array<[string, string]>): string {
  const pairs = signed.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `passforge-link-v1\n${percentEncode(template)}\n${pairs.join('&')}`;
}

/** Mints a signed smart link. */
export function signLink(link: SmartLink): string {
  if (!/^[A-Za-z0-9\-._~]{1,128}$/.test(link.linkId)) {
    throw new Error('linkId must be 1 to 128 of A-Z a-z 0-9 - . _ ~');
  }
  const signed: Array<[string, string]> = Object.entries(link.fields ?? {}).map(([k, v]) => [`f.${k}`, v]);
  signed.push(['lid', link.linkId]);
  if (link.expires !== undefined) {
    signed.push(['exp', String(Math.trunc(link.expires))]);
  }
  signed.push(['kid', link.keyId]);
  const sig = createHmac('sha256', Buffer.from(link.secret, 'utf8'))
    .update(canonicalLink(link.template, signed))
    .digest('base64url');
  const all: Array<[string, string]> = [...signed, ...Object.entries(link.unsigned ?? {}).map(([k, v]): [string, string] => [`u.${k}`, v])];
  const query = all.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  query.push(`sig=${sig}`);
  return `${link.baseUrl.replace(/\/+$/, '')}/s/${percentEncode(link.template)}?${query.join('&')}`;
}
