import { z } from 'zod';

// zod probes for eval support with `new Function` as soon as an object schema is
// built, which the page's CSP refuses (and reports as a violation). Imported first
// by main.tsx, before any schema exists, so zod uses its interpreter from the start.
z.config({ jitless: true });
