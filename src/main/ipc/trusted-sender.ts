import { pathToFileURL } from 'node:url';
import type { SenderCheck } from './register.ts';

export interface TrustedPages {
  /** The renderer's index.html on disk (the packaged and preview app). */
  file?: string;
  /** An http(s) origin serving the renderer (the vite dev server, or a test server). */
  origin?: string;
}

/**
 * Requests are served only for our own renderer page: exactly that file (any hash
 * route), or pages on exactly that origin. Everything else (another file, a
 * data: or about: page, a look-alike host) is refused.
 */
export function createSenderCheck(pages: TrustedPages): SenderCheck {
  const fileHref = pages.file ? pathToFileURL(pages.file).href : null;
  const origin = pages.origin ? new URL(pages.origin).origin : null;
  return (senderUrl) => {
    let url: URL;
    try {
      url = new URL(senderUrl);
    } catch {
      return false;
    }
    if (url.protocol === 'file:') {
      if (!fileHref) return false;
      url.hash = '';
      url.search = '';
      return url.href === fileHref;
    }
    if (url.protocol === 'http:' || url.protocol === 'https:') return origin !== null && url.origin === origin;
    return false;
  };
}
