import { runPython } from './python.ts';

/** One reader's addresses: [local part without quotes, domain], or null when it failed outright. */
export type Reading = [string, string][] | null;

export interface PythonReadings {
  /** email.parser.BytesParser(policy=email.policy.default): what a modern Python reader sees. */
  defaultBytes: Reading;
  /** Its defects, "ClassName: text". */
  defects: string[];
  /** email.parser.HeaderParser(policy=default) over text (an SMTPUTF8-aware reader). */
  defaultText: Reading;
  /** email.utils.getaddresses over the compat32 field value (strict: Pythons with the CVE-2023-27043 fix; absent on others). */
  compatStrict?: Reading;
  /** The same with strict=False: the reading of every Python before the CVE-2023-27043 fix. */
  compatLegacy: Reading;
  /** email.utils.parseaddr (strict, then legacy): what scripts that expect one sender read. */
  parseaddr?: Reading;
  parseaddrLegacy: Reading;
}

/**
 * Reads one field of each message with Python's `email` package (Debian's /usr/bin/python3),
 * in one batched run: a reader nobody here wrote, to compare our reading with.
 */
export async function readWithPython(messages: Buffer[], field: string[]): Promise<PythonReadings[]> {
  const input = JSON.stringify(messages.map((m, k) => ({ message: m.toString('base64'), field: field[k] })));
  return JSON.parse(await runPython(SCRIPT, input, 'python3 email reader')) as PythonReadings[];
}

const SCRIPT = `
import base64, inspect, json, sys
import email.utils as eu
from email import policy
from email.parser import BytesParser, HeaderParser, Parser

def unquote(local):
    if len(local) >= 2 and local[0] == '"' and local[-1] == '"':
        out, k, s = '', 0, local[1:-1]
        while k < len(s):
            if s[k] == '\\\\' and k + 1 < len(s):
                k += 1
            out += s[k]
            k += 1
        return out
    return local

def split(pairs):
    out = []
    for _name, addr in pairs:
        at = addr.rfind('@')
        out.append([unquote(addr[:at]), addr[at + 1:]] if at >= 0 else [addr, ''])
    return out

def utf8(s):
    # BytesParser keeps raw UTF-8 as surrogate escapes: the same bytes, so read them as UTF-8.
    return s.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')

def modern(header):
    if header is None:
        return []
    return [[utf8(a.username), utf8(a.domain)] for a in header.addresses]

def attempt(f):
    try:
        return f()
    except Exception:
        return None

# A Python without the strict parameter (before the CVE-2023-27043 fix) reads the legacy way only.
HAS_STRICT = 'strict' in inspect.signature(eu.getaddresses).parameters

def legacy(f, value):
    return f(value, strict=False) if HAS_STRICT else f(value)

results = []
for item in json.load(sys.stdin):
    raw = base64.b64decode(item['message'])
    text = raw.decode('utf-8')
    field = item['field']
    r = {}
    msg = attempt(lambda: BytesParser(policy=policy.default).parsebytes(raw, headersonly=True))
    header = attempt(lambda: msg[field]) if msg is not None else None
    r['defaultBytes'] = attempt(lambda: modern(header)) if msg is not None else None
    r['defects'] = [type(d).__name__ + ': ' + str(d) for d in getattr(header, 'defects', [])]
    r['defaultText'] = attempt(lambda: modern(HeaderParser(policy=policy.default).parsestr(text)[field]))
    values = Parser(policy=policy.compat32).parsestr(text, headersonly=True).get_all(field) or []
    first = values[0] if values else ''
    if HAS_STRICT:
        r['compatStrict'] = attempt(lambda: split(eu.getaddresses(values)))
        r['parseaddr'] = attempt(lambda: split([eu.parseaddr(first)]))
    r['compatLegacy'] = attempt(lambda: split(legacy(eu.getaddresses, values)))
    r['parseaddrLegacy'] = attempt(lambda: split([legacy(eu.parseaddr, first)]))
    results.append(r)
json.dump(results, sys.stdout)
`;
